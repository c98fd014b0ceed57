package dev.cloche.fuzz;

import dev.cloche.api.GardenException;
import dev.cloche.wire.GardenJson;
import dev.cloche.wire.ImageJson;
import dev.cloche.wire.PortLayerJson;
import dev.cloche.wire.ProcessPayload;
import dev.cloche.wire.Query;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * Every decoder of a Garden request body, the port layer's commit documents and the process connection's payloads.
 * The first byte picks the decoder, the rest is the body. Properties: a decoder either returns a value or throws a
 * typed {@link GardenException} (anything else would reach the client as an internal error), and what it returns
 * survives the encoder: {@code decode(encode(decode(x))) == decode(x)}.
 */
public final class WireJsonTarget {
    private WireJsonTarget() {}

    /** Loads every decoder once, so the first timed input does not pay for class loading. */
    public static void fuzzerInitialize() {
        for (int decoder = 0; decoder < 15; decoder++) {
            fuzzerTestOneInput(new byte[] {(byte) decoder, '{', '}'});
        }
    }

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String body = new String(Arrays.copyOfRange(input, 1, input.length), StandardCharsets.UTF_8);
        switch (Byte.toUnsignedInt(input[0]) % 15) {
            case 0 -> roundTrip(body, GardenJson::decodeContainerSpec, GardenJson::encodeContainerSpec);
            case 1 -> roundTrip(body, GardenJson::decodeProcessSpec, GardenJson::encodeProcessSpec);
            case 2 -> roundTrip(body, GardenJson::decodeMemoryLimits, GardenJson::encodeMemoryLimits);
            case 3 -> roundTrip(body, GardenJson::decodeCpuLimits, GardenJson::encodeCpuLimits);
            case 4 -> roundTrip(body, GardenJson::decodeDiskLimits, GardenJson::encodeDiskLimits);
            case 5 -> roundTrip(body, GardenJson::decodeBandwidthLimits, GardenJson::encodeBandwidthLimits);
            case 6 -> roundTrip(body, GardenJson::decodeNetOutRules, GardenJson::encodeNetOutRules);
            case 7 -> roundTrip(body, GardenJson::decodeNetOutRule, GardenJson::encodeNetOutRule);
            case 8 -> roundTrip(body, GardenJson::decodeProperties, GardenJson::encodeProperties);
            case 9 -> roundTrip(body, GardenJson::decodeGraceTime, GardenJson::encodeGraceTime);
            case 10 -> roundTrip(body, ImageJson::decodePullRequest, ImageJson::encodePullRequest);
            case 11 -> roundTrip(body, b -> PortLayerJson.decodeChanges("h", 7, b), PortLayerJson::encodeChanges);
            case 12 -> typed(body, GardenJson::decodeNetIn);
            case 13 -> typed(body, ProcessPayload::decode);
            default -> typed(body, Query::decode);
        }
    }

    private static <T> void roundTrip(String body, Function<String, T> decode, Function<T, String> encode) {
        T first;
        try {
            first = decode.apply(body);
        } catch (GardenException e) {
            return;
        }
        String encoded = encode.apply(first);
        T again = decode.apply(encoded);
        if (!Objects.equals(first, again)) {
            throw new IllegalStateException("lost in a round trip: " + first + " became " + again + " via " + encoded);
        }
    }

    private static void typed(String body, Function<String, ?> decode) {
        try {
            decode.apply(body);
        } catch (GardenException e) {
            // the one way a decoder may refuse
        }
    }
}
