package dev.cloche.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Every unexpected error of a part, with the operation it came from; each is printed as it happens. */
final class Failures {
    private final String part;
    private final List<String> all = new ArrayList<>();

    Failures(String part) {
        this.part = part;
    }

    synchronized void record(String op, Throwable t) {
        String line = op + ": " + t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).strip();
        all.add(line);
        System.err.println("[" + part + "] unexpected error #" + all.size() + " " + line);
    }

    synchronized int count() {
        return all.size();
    }

    synchronized List<String> lines() {
        return List.copyOf(all);
    }

    /** How many times each operation failed. */
    synchronized Map<String, Integer> byOp() {
        Map<String, Integer> m = new TreeMap<>();
        for (String l : all) m.merge(l.substring(0, l.indexOf(':')), 1, Integer::sum);
        return m;
    }
}
