package dev.cloche.cli;

import dev.cloche.api.ImageInfo;
import dev.cloche.client.RemoteGardenClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "pull", description = {"Pull an image into the daemon's store (or find it there), with progress per layer.",
        "IMAGE: docker://[HOST[:PORT]]/REPO[#TAG], oci:///LAYOUT[#TAG] or a rootfs path, as the daemon's backend takes them."})
final class PullCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "IMAGE")
    String image;

    @Mixin
    RegistryLogin login = new RegistryLogin();

    @Override
    public Integer call() {
        try (RemoteGardenClient c = parent.client()) {
            ImageInfo pulled = c.pullImage(login.ref(image, System.in, spec.commandLine()),
                    PullProgress.to(System.out, Terminal.isStdout()));
            System.out.println(summary(pulled));
        }
        return 0;
    }

    /** {@code pulled docker:///busybox#1 (0123456789ab, 2 layers, 1.5 MiB)}. */
    static String summary(ImageInfo i) {
        return "pulled " + i.reference() + " (" + ImagesCommand.shortId(i.id()) + ", " + i.layers()
                + (i.layers() == 1 ? " layer, " : " layers, ") + Sizes.human(i.bytes()) + ")";
    }
}
