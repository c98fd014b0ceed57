package dev.cloche.audit;

import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/** Image pulls and prunes, audited (they change the image store); the listing passes through. */
public final class AuditedImageCatalog implements ImageCatalog {
    private final ImageCatalog delegate;
    private final Auditor auditor;

    public AuditedImageCatalog(ImageCatalog delegate, Auditor auditor) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.auditor = Objects.requireNonNull(auditor, "auditor");
    }

    @Override
    public List<ImageInfo> images() {
        return delegate.images();
    }

    @Override
    public ImagePruneReport pruneImages() {
        return auditor.record(Auditor.call("image-prune"), delegate::pruneImages, (done, report) -> {
            done.detail().put("images", report.images()).put("layers", report.layers()).put("bytes", report.bytes());
            return done;
        });
    }

    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        Auditor.Call c = Auditor.call("image-pull");
        // the username says whose credentials were used; the password never leaves the call
        c.detail().put("uri", ref.uri()).put("username", ref.username()).put("password",
                ref.password().isEmpty() ? "" : Redaction.REDACTED);
        return auditor.record(c, () -> delegate.pullImage(ref, progress), (done, info) -> done);
    }
}
