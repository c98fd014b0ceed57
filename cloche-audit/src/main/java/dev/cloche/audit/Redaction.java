package dev.cloche.audit;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ImageRef;
import dev.cloche.api.ProcessSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a spec may not put in the audit log: registry passwords, and the values of environment variables (and
 * properties) whose name contains PASSWORD, TOKEN or SECRET in any case. The names stay, so the record still says
 * a secret was given.
 */
public final class Redaction {
    public static final String REDACTED = "<redacted>";

    private Redaction() {
    }

    /** Whether a variable or property of this name holds a secret. */
    public static boolean secretName(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return n.contains("PASSWORD") || n.contains("TOKEN") || n.contains("SECRET");
    }

    /** {@code value}, or {@link #REDACTED} if {@code name} names a secret. */
    public static String value(String name, String value) {
        return secretName(name) ? REDACTED : value;
    }

    /** {@code NAME=value} entries with secret values replaced (an entry without '=' is a name only and kept). */
    public static List<String> env(List<String> env) {
        return env.stream().map(e -> {
            int eq = e.indexOf('=');
            return eq >= 0 && secretName(e.substring(0, eq)) ? e.substring(0, eq + 1) + REDACTED : e;
        }).toList();
    }

    public static Map<String, String> properties(Map<String, String> properties) {
        Map<String, String> out = new LinkedHashMap<>();
        properties.forEach((k, v) -> out.put(k, value(k, v)));
        return out;
    }

    public static ImageRef image(ImageRef image) {
        return image.password().isEmpty() ? image : new ImageRef(image.uri(), image.username(), REDACTED);
    }

    public static ContainerSpec spec(ContainerSpec s) {
        return new ContainerSpec(s.handle(), s.graceTime(), s.rootfs(), image(s.image()), s.bindMounts(), s.network(),
                properties(s.properties()), env(s.env()), s.privileged(), s.limits(), s.netOut(), s.netIn());
    }

    public static ProcessSpec spec(ProcessSpec p) {
        return new ProcessSpec(p.id(), p.path(), p.args(), env(p.env()), p.dir(), p.user(), p.rlimits(), p.limits(),
                p.tty(), image(p.image()), p.bindMounts());
    }
}
