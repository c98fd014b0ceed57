package dev.cloche.linux.image;

/** A committed layer's {@code layer.json}: its diff id and its extracted tree's size. */
record LayerRecord(String diffId, long bytes, long inodes) {
    TreeSize size() {
        return new TreeSize(bytes, inodes);
    }
}
