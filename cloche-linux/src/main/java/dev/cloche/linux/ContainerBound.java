package dev.cloche.linux;

/**
 * The most containers this backend can hold at once, and what sets it: the smallest of the {@code maxContainers}
 * setting and, with networking on, the network pool's /30s (Guardian's capacity is the same minimum). A create past
 * it is refused with {@link #why()}.
 *
 * @param containers the bound, as {@code capacity}'s {@code max_containers}
 * @param why what sets it, in words a client can act on
 */
record ContainerBound(long containers, String why) {

    static ContainerBound of(Settings settings) {
        ContainerBound b = new ContainerBound(settings.maxContainers(),
                "the backend setting maxContainers is " + settings.maxContainers());
        if (settings.net().pool().isPresent()) {
            long slots = settings.net().poolContainers();
            if (slots < b.containers()) {
                b = new ContainerBound(slots, "the network pool " + settings.net().pool().get() + " holds " + slots
                        + " containers, a /30 each (backend setting networkPool)");
            }
        }
        return b;
    }
}
