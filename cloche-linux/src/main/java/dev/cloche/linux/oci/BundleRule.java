package dev.cloche.linux.oci;

/** One small, separately tested step of building a container's OCI config. */
@FunctionalInterface
public interface BundleRule {
    Bundle apply(Bundle bundle, BundleInput input);
}
