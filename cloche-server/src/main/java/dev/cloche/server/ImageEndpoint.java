package dev.cloche.server;

import dev.cloche.api.GardenException;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImageRef;
import dev.cloche.wire.ImageJson;
import dev.cloche.wire.ImageRoute;
import java.util.function.Consumer;

/**
 * Cloche's image routes as calls: decode, one {@link ImageCatalog} call, encode. Netty-free; errors are thrown as
 * they come, and the caller turns them into answers ({@link Answer#error}) or, once a pull's stream has begun, into
 * its last record ({@link #pullFailure}). A pull's body carries registry credentials: nothing here logs it.
 */
final class ImageEndpoint {
    private final ImageCatalog images;

    ImageEndpoint(ImageCatalog images) {
        this.images = images;
    }

    /** The routes whose answer is one JSON value. */
    Answer handle(ImageRoute route, String body) {
        return Answer.json(switch (route) {
            case LIST -> ImageJson.encodeImages(images.images());
            case PRUNE -> ImageJson.encodePruneReport(images.pruneImages());
            case PULL -> throw new IllegalStateException("a pull answers with a stream of records: " + route);
        });
    }

    /**
     * Pulls the image the body names, handing each progress record that passes the {@link ProgressThrottle} to
     * {@code emit} as one line; returns the last line, the pulled image.
     */
    String pull(String body, Consumer<String> emit) {
        ImageRef ref = ImageJson.decodePullRequest(body);
        ProgressThrottle throttle = ProgressThrottle.standard();
        ImageInfo image = images.pullImage(ref, p -> {
            if (throttle.pass(p)) {
                emit.accept(ImageJson.encodeProgress(p));
            }
        });
        return ImageJson.encodePulled(image);
    }

    /** The last line of a pull that failed after its first record. */
    static String pullFailure(GardenException e) {
        return ImageJson.encodeFailed(e);
    }
}
