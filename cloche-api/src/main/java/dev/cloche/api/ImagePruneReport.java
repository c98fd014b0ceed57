package dev.cloche.api;

/**
 * What a prune removed.
 *
 * @param images how many cached images were removed
 * @param layers how many layers went with them (a layer another image still uses stays)
 * @param bytes the disk space freed
 */
public record ImagePruneReport(int images, int layers, long bytes) {
    /** Nothing removed. */
    public static final ImagePruneReport NONE = new ImagePruneReport(0, 0, 0);

    public ImagePruneReport {
        if (images < 0 || layers < 0 || bytes < 0) {
            throw new IllegalArgumentException("a prune report counts nothing negative: " + images + ", " + layers + ", " + bytes);
        }
    }
}
