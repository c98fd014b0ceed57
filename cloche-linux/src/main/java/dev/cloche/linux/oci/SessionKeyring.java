package dev.cloche.linux.oci;

/**
 * Whether a runtime container gets a kernel session keyring of its own (runc and crun make one per container unless
 * told {@code --no-new-keyring}). The kernel charges a keyring to the host uid that creates it, and every unprivileged
 * container maps its root to the same host uid, whose quota ({@code kernel.keys.maxkeys}, 200 by default) then ends
 * creates at the 191st container or so. An unprivileged container cannot use a keyring anyway: its seccomp allow-list
 * has no {@code keyctl}, {@code add_key} or {@code request_key}. A privileged container (real root, no filter) keeps a
 * keyring of its own, so it never shares the daemon's; root's quota ({@code root_maxkeys}) is a million keys.
 * docs/reliability.md.
 */
public enum SessionKeyring {
    /** The runtime makes a new session keyring for the container (the runtimes' default). */
    OWN,
    /** {@code --no-new-keyring}: the container keeps the runtime's session keyring, which it cannot reach. */
    INHERITED;

    /** The keyring a container gets: its own only when privileged. */
    public static SessionKeyring of(boolean privileged) {
        return privileged ? OWN : INHERITED;
    }
}
