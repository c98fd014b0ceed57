package dev.cloche.api;

/** Garden's {@code NetIn} pair / {@code PortMapping}: host port to container port. */
public record PortMapping(int hostPort, int containerPort) {
    public PortMapping {
        if (hostPort < 0 || hostPort > 65535 || containerPort < 0 || containerPort > 65535) {
            throw new InvalidRequestException("port out of range: " + hostPort + " -> " + containerPort);
        }
    }
}
