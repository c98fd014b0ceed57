package dev.cloche.soak;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Knobs, from {@code -Dsoak.*} (the Makefile maps SOAK_* onto them).
 *
 * @param dir the soak's private directory: socket, depot, runtime root
 * @param parts which of load, churn, density run, in that order
 * @param minutes the mixed load's length; {@code clients} its concurrent Garden clients
 * @param cycles churn's create/run/destroy cycles; {@code workers} how many run at once (churn and density)
 * @param density containers held at once; {@code densityMinutes} stops creating once spent, so a run fits a budget
 */
record SoakConfig(Path socket, Path dir, long daemonPid, URI debug, Path javaHome, String cgroupParent,
                  String networkPrefix, String runtime, List<String> parts, int minutes, int clients, int cycles,
                  int workers, int density, double densityMinutes, long seed, int sampleSeconds, Path out, String label) {

    static SoakConfig fromProperties() {
        Path dir = Path.of(req("soak.dir"));
        return new SoakConfig(Path.of(prop("soak.socket", dir.resolve("garden.sock").toString())), dir,
                Long.parseLong(req("soak.daemonPid")), URI.create("http://" + req("soak.debug")),
                Path.of(prop("soak.javaHome", System.getProperty("java.home"))), prop("soak.cgroupParent", "cloche-soak"),
                prop("soak.networkPrefix", "sk"), prop("soak.runtime", "runc"),
                Arrays.stream(prop("soak.parts", "load,churn,density").split(",")).map(String::strip)
                        .filter(p -> !p.isEmpty()).toList(),
                num("soak.minutes", 10), num("soak.clients", 50), num("soak.cycles", 10_000), num("soak.workers", 4),
                num("soak.density", 10_000), Double.parseDouble(prop("soak.densityMinutes", "0")),
                Long.parseLong(prop("soak.seed", "22")), num("soak.sampleSeconds", 10),
                Path.of(prop("soak.out", "docs/soak")), prop("soak.label", ""));
    }

    Path depot() {
        return dir.resolve("depot");
    }

    Path runtimeRoot() {
        return dir.resolve("runtime");
    }

    /** A time budget for density's creates, if one is set. */
    Optional<Double> densityBudgetMinutes() {
        return densityMinutes > 0 ? Optional.of(densityMinutes) : Optional.empty();
    }

    private static String prop(String k, String d) {
        String v = System.getProperty(k, "");
        return v.isBlank() ? d : v;
    }

    private static String req(String k) {
        String v = System.getProperty(k, "");
        if (v.isBlank()) throw new IllegalArgumentException("missing -D" + k);
        return v;
    }

    private static int num(String k, int d) {
        return Integer.parseInt(prop(k, Integer.toString(d)));
    }
}
