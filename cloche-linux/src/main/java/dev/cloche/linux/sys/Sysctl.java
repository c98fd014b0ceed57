package dev.cloche.linux.sys;

/** Kernel parameters (what {@code sysctl -w} sets), written without a process per setting. */
public interface Sysctl {
    /** Sets {@code key} (dotted, as sysctl names it: {@code net.ipv4.ip_forward}) to {@code value}. */
    void set(String key, String value);

    /** The real one: a write to {@code /proc/sys}. */
    static Sysctl proc() {
        return ProcSysctl.INSTANCE;
    }
}
