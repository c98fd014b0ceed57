package dev.cloche.tar;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The corpus of archives a stream-in must refuse. {@code target} is an absolute host directory the archives aim
 * at (it must not exist before or after); {@code devices} says whether device/FIFO cases are included.
 */
public final class HostileTars {
    private HostileTars() {}

    /** One archive, what the error must mention, and whether it is refused only in unprivileged containers. */
    public record Case(String name, byte[] tar, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static List<Case> corpus(String target) {
        String rel = "../../../../../../../../../.." + target;
        byte[] good = Tars.archive().file("ok.txt", "fine").bytes();
        return List.of(
                new Case("dot-dot traversal", Tars.archive().file(rel + "/evil", "x").end(), "contains '..'"),
                new Case("dot-dot in the middle", Tars.archive().dir("a").file("a/../../evil", "x").end(), "contains '..'"),
                new Case("absolute name", Tars.archive().file(target + "/evil", "x").end(), "absolute name"),
                new Case("absolute via ustar prefix", Tars.archive().header("evil", '0', 1, "", target, 0644)
                        .data("x".getBytes(StandardCharsets.UTF_8)).end(), "absolute name"),
                new Case("dot-dot via GNU long name", Tars.archive().gnuLong('L', rel + "/" + "l".repeat(120))
                        .file("short", "x").end(), "contains '..'"),
                new Case("absolute via PAX path", Tars.archive().pax('x', Tars.records("path", target + "/evil"))
                        .file("innocent", "x").end(), "absolute name"),
                new Case("symlink then a file through it", Tars.archive().symlink("link", rel)
                        .file("link/evil", "x").end(), "goes through the symlink link"),
                new Case("symlink to / then a file through it", Tars.archive().symlink("root", "/")
                        .file("./root/" + target.substring(1) + "/evil", "x").end(), "goes through the symlink root"),
                new Case("symlink then a hard link through it", Tars.archive().symlink("link", "/etc")
                        .hardlink("shadow", "link/shadow").end(), "goes through the symlink link"),
                new Case("hard link to /etc/shadow", Tars.archive().hardlink("shadow", "/etc/shadow").end(), "absolute hard link target"),
                new Case("hard link up the tree", Tars.archive().hardlink("shadow", "../../../../../../etc/shadow").end(), "contains '..'"),
                new Case("hard link via GNU long link", Tars.archive().gnuLong('K', "/etc/shadow")
                        .hardlink("shadow", "x").end(), "absolute hard link target"),
                new Case("character device", Tars.archive().header("null2", '3', 0, "", "", 0666).end(), "device node"),
                new Case("block device", Tars.archive().header("sda", '4', 0, "", "", 0660).end(), "device node"),
                new Case("fifo", Tars.archive().header("pipe", '6', 0, "", "", 0644).end(), "FIFO"),
                new Case("bad checksum", corruptChecksum(), "checksum mismatch"),
                new Case("garbage", "garbage".repeat(100).getBytes(StandardCharsets.UTF_8), "corrupt tar header"),
                new Case("truncated in data", Arrays.copyOf(Tars.archive().file("big", "y".repeat(3000)).end(), 1536), "truncated"),
                new Case("truncated mid block", Arrays.copyOf(good, 700), "truncated"),
                new Case("no end marker", good, "truncated"),
                new Case("empty", new byte[0], "empty"),
                new Case("symlink smuggling data", Tars.archive().header("s", '2', 512, "t", "", 0777)
                        .data(Tars.archive().file(rel + "/evil", "x").bytes()).end(), "claims 512 data bytes"),
                new Case("PAX size desync", Tars.archive().pax('x', Tars.records("size", "0"))
                        .file("f", "x".repeat(600)).end(), "PAX size"),
                new Case("sparse file", Tars.archive().pax('x', Tars.records("GNU.sparse.size", "10"))
                        .file("f", "x").end(), "sparse"),
                new Case("absolute raw name under a PAX path", Tars.archive().pax('x', Tars.records("path", "innocent"))
                        .file(target + "/evil", "x").end(), "absolute name"),
                new Case("dot-dot raw name under a GNU long name", Tars.archive().gnuLong('L', "innocent")
                        .file(rel + "/evil", "x").end(), "contains '..'"),
                new Case("hard link with a raw target under a GNU long link", Tars.archive().gnuLong('K', "innocent")
                        .hardlink("shadow", "/etc/shadow").end(), "absolute hard link target"),
                new Case("symlink replacing the destination", Tars.archive().symlink("./", target).end(), "names the destination itself"),
                new Case("unknown type", Tars.archive().header("v", 'V', 0, "", "", 0644).end(), "unsupported entry type"));
    }

    private static byte[] corruptChecksum() {
        byte[] t = Tars.archive().file("f", "x").end();
        t[0] = 'g'; // name changed after the checksum was computed
        return t;
    }
}
