package dev.cloche.linux;

import java.util.Objects;

/**
 * What a pea's depot directory records (docs/peas.md), so that its runtime container, cgroup, volume and image hold
 * are found again and removed after a restart.
 *
 * @param peaId its runtime container's id, also its directory's name
 * @param processId the Garden process it runs
 * @param imageId the image store's id of its image; empty for a host directory (nothing held)
 * @param holder who holds the image in the store: {@code <handle>/pea/<processId>}
 * @param cgroup its cgroup, relative to each hierarchy's root
 */
record PeaRecord(String peaId, String processId, String imageId, String holder, String cgroup) {
    PeaRecord {
        Objects.requireNonNull(peaId, "peaId");
        Objects.requireNonNull(processId, "processId");
        Objects.requireNonNull(imageId, "imageId");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(cgroup, "cgroup");
    }
}
