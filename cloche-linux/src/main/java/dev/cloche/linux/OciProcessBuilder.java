package dev.cloche.linux;

import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a Garden process spec into the OCI process the runtime runs, for one container: a pure function of the spec,
 * the user it runs as (looked up in the container's files beforehand), the container's env and capabilities. No I/O,
 * so it costs an exec nothing beyond building the record.
 *
 * @param containerEnv the env every process of the container starts from (its image's, under its spec's)
 * @param capabilities the container's capability set; effective only for processes running as root, and a non-root
 *     process's bounding and inheritable sets are cut to {@link BundleRules#nonRootCapabilities} (Guardian's)
 * @param defaultUser the image config's {@code User}, for processes that name none (empty: root)
 * @param defaultDir the image config's {@code WorkingDir}, for processes that name none (empty: the user's home)
 */
record OciProcessBuilder(List<String> containerEnv, List<String> capabilities, String defaultUser, String defaultDir) {
    /** Garden's window when a TTY asks for none. */
    static final TtySpec.WindowSize DEFAULT_WINDOW = new TtySpec.WindowSize(80, 24);

    OciProcessBuilder {
        containerEnv = List.copyOf(containerEnv);
        capabilities = List.copyOf(capabilities);
        java.util.Objects.requireNonNull(defaultUser, "defaultUser");
        java.util.Objects.requireNonNull(defaultDir, "defaultDir");
    }

    OciProcessBuilder(List<String> containerEnv, List<String> capabilities) {
        this(containerEnv, capabilities, "", "");
    }

    static OciProcessBuilder of(DepotMeta meta, long hostCapabilities) {
        return new OciProcessBuilder(BundleRules.layerEnv(meta.imageEnv(), meta.env()),
                BundleRules.capabilities(meta.privileged(), hostCapabilities), meta.imageUser(), meta.imageWorkingDir());
    }

    /** The user a process runs as: the spec's, else the image's default (resolved in the container's files). */
    String user(ProcessSpec spec) {
        return spec.user().isEmpty() ? defaultUser : spec.user();
    }

    /**
     * A Garden process: its argv, env, working directory (the spec's, else the image's, else the user's home), rlimits
     * and terminal.
     */
    OciProcess process(ProcessSpec spec, ContainerFiles.User user) {
        List<String> args = new ArrayList<>();
        args.add(spec.path());
        args.addAll(spec.args());
        String cwd = !spec.dir().isEmpty() ? absolute(spec.dir(), user) : !defaultDir.isEmpty() ? defaultDir : user.home();
        List<OciProcess.Rlimit> rlimits = new ArrayList<>();
        for (Map.Entry<ResourceLimits.Rlimit, Long> e : spec.rlimits().limits().entrySet()) {
            rlimits.add(new OciProcess.Rlimit(e.getKey().ociName(), e.getValue(), e.getValue()));
        }
        Optional<OciProcess.ConsoleSize> console = spec.tty().map(OciProcessBuilder::window)
                .map(w -> new OciProcess.ConsoleSize(w.rows(), w.columns()));
        return new OciProcess(args, env(spec.env(), user), cwd, user.uid(), user.gid(), capabilitiesOf(user), user.uid() == 0,
                rlimits, console);
    }

    /** A command of the backend's own (mkdir, tar) as {@code user} in {@code /}: the container's env, no terminal. */
    OciProcess command(List<String> args, ContainerFiles.User user) {
        return new OciProcess(args, env(List.of(), user), "/", user.uid(), user.gid(), capabilitiesOf(user), user.uid() == 0, List.of());
    }

    private List<String> capabilitiesOf(ContainerFiles.User user) {
        return user.uid() == 0 ? capabilities : BundleRules.nonRootCapabilities(capabilities);
    }

    /** The container's env, then the spec's, then defaults (PATH, HOME, USER) for what neither set. */
    List<String> env(List<String> specEnv, ContainerFiles.User user) {
        List<String> layered = new ArrayList<>(BundleRules.layerEnv(containerEnv, specEnv));
        if (layered.stream().noneMatch(e -> e.startsWith("HOME="))) layered.add("HOME=" + user.home());
        if (layered.stream().noneMatch(e -> e.startsWith("USER="))) layered.add("USER=" + user.name());
        return layered;
    }

    /** The value of PATH in {@code env}, empty when unset. */
    static String path(List<String> env) {
        return env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5)).findFirst().orElse("");
    }

    /** A path of the spec made absolute: relative paths are relative to the user's home. */
    static String absolute(String path, ContainerFiles.User user) {
        if (path.startsWith("/")) return path;
        return (user.home().endsWith("/") ? user.home() : user.home() + "/") + path;
    }

    /** Garden's default window is 80x24; a size with a zero dimension counts as absent. */
    static TtySpec.WindowSize window(TtySpec tty) {
        return tty.windowSize().filter(w -> w.columns() > 0 && w.rows() > 0).orElse(DEFAULT_WINDOW);
    }
}
