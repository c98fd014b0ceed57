package dev.cloche.linux.sys;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Every program the Linux backend runs by name, with the Debian package that brings it. The real
 * {@link CommandRunner} refuses a name that is not listed here, and {@code HostProgramTest} holds this list against
 * the Makefile's {@code deps} target: a program the code starts is therefore always one a fresh machine installs.
 */
public enum HostProgram {
    RUNC("runc", "runc"),
    CRUN("crun", "crun"),
    MKDIR("mkdir", "coreutils"),
    DU("du", "coreutils"),
    CP("cp", "coreutils"),
    CHOWN("chown", "coreutils"),
    CHGRP("chgrp", "coreutils"),
    TRUNCATE("truncate", "coreutils"),
    FIND("find", "findutils"),
    MOUNT("mount", "mount"),
    UMOUNT("umount", "mount"),
    MKFS_EXT4("mkfs.ext4", "e2fsprogs"),
    NFT("nft", "nftables"),
    IP("ip", "iproute2"),
    TC("tc", "iproute2"),
    NSENTER("nsenter", "util-linux");

    /** Where a root daemon finds programs even when started with a user's PATH. */
    private static final String SBIN = "/usr/local/sbin:/usr/sbin:/sbin";

    private final String command;
    private final String debianPackage;

    HostProgram(String command, String debianPackage) {
        this.command = command;
        this.debianPackage = debianPackage;
    }

    public String command() {
        return command;
    }

    public String debianPackage() {
        return debianPackage;
    }

    public static Optional<HostProgram> byCommand(String command) {
        return Arrays.stream(values()).filter(p -> p.command.equals(command)).findFirst();
    }

    /** The executable this name resolves to on PATH (and the sbin directories), if any. */
    public Optional<Path> locate() {
        return onPath(command);
    }

    static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + SBIN;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * Refuses argv whose program is neither an absolute path (configured by the operator, checked at start) nor one
     * of these: a programming error, caught by every integration test that reaches the call.
     */
    static void requireDeclared(java.util.List<String> argv) {
        String program = argv.getFirst();
        if (!program.startsWith("/") && byCommand(program).isEmpty()) {
            throw new IllegalStateException("program '" + program + "' is not declared in " + HostProgram.class.getName()
                    + ": declare it with its Debian package and add that package to the Makefile's deps");
        }
    }
}
