package dev.cloche.linux.sys;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** mount(8) and umount(8): the same effects as {@link SyscallMounts}, as commands a test runner can record. */
final class CommandMounts implements Mounts {
    private final CommandRunner runner;

    CommandMounts(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public void mount(String source, Path target, String type, long flags, String data) {
        List<String> options = new ArrayList<>();
        if (!data.isEmpty()) options.add(data);
        if ((flags & NOSUID) != 0) options.add("nosuid");
        if ((flags & NODEV) != 0) options.add("nodev");
        if ((flags & NOEXEC) != 0) options.add("noexec");
        List<String> argv = new ArrayList<>(List.of("mount", "-t", type, source));
        if (!options.isEmpty()) argv.addAll(List.of("-o", String.join(",", options)));
        argv.add(target.toString());
        runner.check(argv);
    }

    @Override
    public void unmount(Path target) {
        runner.check(List.of("umount", target.toString()));
    }

    @Override
    public void detach(Path target) {
        runner.check(List.of("umount", "--lazy", target.toString()));
    }
}
