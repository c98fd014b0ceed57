package dev.cloche.api;

/** CPU weight; {@code limitInShares} is Garden's deprecated alias. Zero means unset. */
public record CpuLimits(long weight, long limitInShares) {
    public static final CpuLimits NONE = new CpuLimits(0, 0);
    public CpuLimits { Uint64.require(weight, "weight"); Uint64.require(limitInShares, "limit_in_shares"); }

    /** The effective share value: weight if set, else the deprecated alias. */
    public long effectiveShares() { return weight != 0 ? weight : limitInShares; }
}
