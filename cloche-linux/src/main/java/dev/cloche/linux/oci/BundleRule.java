package dev.cloche.linux.oci;

/**
 * One small, separately tested step of building an OCI config from {@code I}: a container's from its
 * {@link BundleInput}, a one-shot container's from its {@link BundleRules.OneShot}.
 */
@FunctionalInterface
public interface BundleRule<I> {
    Bundle apply(Bundle bundle, I input);
}
