package dev.cloche.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cloche proxy new|list|end}: the ephemeral-environment proxy, over its HTTP API (docs/proxy.md). */
@Command(name = "proxy", description = "Ephemeral HTTP environments: create one, list them, end one.",
        subcommands = {ProxyCommand.New.class, ProxyCommand.List.class, ProxyCommand.End.class})
final class ProxyCommand {
    @Option(names = "--proxy", paramLabel = "URL", description = "The proxy (default: ${DEFAULT-VALUE}; env CLOCHE_PROXY_URL).")
    String proxy = System.getenv().getOrDefault("CLOCHE_PROXY_URL", "http://127.0.0.1:8080");

    /** Built on first use only: picocli instantiates every verb at start-up, and a client costs an SSL context. */
    private static final class Http {
        static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    HttpResponse<String> send(String method, String path) throws Exception {
        return Http.CLIENT.send(HttpRequest.newBuilder(URI.create(proxy + path)).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One environment's JSON object as "id  template  expires  url" (the fields are flat strings). */
    static String row(String json) {
        java.util.Map<String, String> f = new java.util.HashMap<>();
        Matcher m = Pattern.compile("\"(\\w+)\":\"([^\"]*)\"").matcher(json);
        while (m.find()) f.put(m.group(1), m.group(2));
        return String.format("%-12s %-10s %-26s %s", f.get("id"), f.get("template"), f.get("expires"), f.get("url"));
    }

    static int fail(HttpResponse<String> r) {
        System.err.println("cloche: proxy answered " + r.statusCode() + ": " + r.body().strip());
        return 1;
    }

    @Command(name = "new", description = "Create an environment and print its id and URL once it serves.")
    static final class New implements Callable<Integer> {
        @ParentCommand
        ProxyCommand parent;

        @Option(names = {"-t", "--template"}, paramLabel = "NAME", description = "Template (default: the proxy's first).")
        String template = "";

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> r = parent.send("POST", "/demo/new" + (template.isEmpty() ? "" : "?template=" + template));
            if (r.statusCode() != 201) return fail(r);
            System.out.println(row(r.body()));
            return 0;
        }
    }

    @Command(name = "list", description = "List the live environments.")
    static final class List implements Callable<Integer> {
        @ParentCommand
        ProxyCommand parent;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> r = parent.send("GET", "/demo");
            if (r.statusCode() != 200) return fail(r);
            Matcher m = Pattern.compile("\\{[^}]*\\}").matcher(r.body());
            while (m.find()) System.out.println(row(m.group()));
            return 0;
        }
    }

    @Command(name = "end", description = "End an environment before its TTL.")
    static final class End implements Callable<Integer> {
        @ParentCommand
        ProxyCommand parent;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            HttpResponse<String> r = parent.send("DELETE", "/demo/" + id);
            return r.statusCode() == 204 ? 0 : fail(r);
        }
    }
}
