package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The browser console end to end: a real daemon (Linux backend, real containers) started as {@code make run} starts
 * it with {@code --web-listen}, driven in Debian's headless chromium through chromedriver. Saves screenshots of the
 * main views as it goes (docs/web/ holds the committed ones; see {@link #SHOTS}). The steps build on each other, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleIT {
    private static final String CGROUP_PARENT = "cloche-e2e-web";
    private static final String HANDLE = "web-e2e";
    /**
     * Where the screenshots go: target/ by default, so a test run leaves the work tree clean;
     * {@code -Dcloche.web.screenshots=../docs/web} refreshes the committed ones.
     */
    private static final Path SHOTS = Path.of(System.getProperty("cloche.web.screenshots", "target/web-screenshots"));

    @TempDir
    static Path tmp;
    private static DaemonProcess daemon;
    private static WebDriver browser;
    private static String base;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        daemon = DaemonProcess.start(CGROUP_PARENT, List.of("--web-listen", "127.0.0.1:" + port));
        base = "http://127.0.0.1:" + port;
        Path tokenFile = daemon.depot.resolve("web/token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
        token = Files.readString(tokenFile).strip();
        assertThat(daemon.logText()).contains(base + "/login?token=" + token);

        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                        "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium")));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (daemon != null) {
                try (GardenClient c = daemon.unixClient()) {
                    for (Container left : c.containers(Map.of())) {
                        left.destroy();
                    }
                } finally {
                    daemon.close();
                    daemon.removeFiles();
                }
            }
        }
    }

    /** A wait that looks again when the page redrew what it looked at (the graphs redraw every poll). */
    private static WebDriverWait waiting(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        w.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return w;
    }

    private static void shot(String name) throws IOException {
        Files.createDirectories(SHOTS);
        Path png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static WebElement id(String id) {
        return browser.findElement(By.id(id));
    }

    /** The terminal's rows as text, trailing blanks trimmed. */
    private static List<String> terminalRows() {
        return browser.findElements(By.cssSelector("#terminal .xterm-rows > div")).stream()
                .map(e -> e.getText().stripTrailing()).toList();
    }

    private static void type(String text) {
        browser.findElement(By.cssSelector("#terminal .xterm-helper-textarea")).sendKeys(text);
    }

    private static void openTerminal(String cmd) {
        id("tab-terminal").click();
        id("t-handle").clear();
        id("t-handle").sendKeys(HANDLE);
        id("t-cmd").clear();
        id("t-cmd").sendKeys(cmd);
        id("t-attach").clear();
        id("t-open").click();
        waiting(30).until(ExpectedConditions.textMatches(By.id("t-status"), Pattern.compile("Running process|exited|Error")));
    }

    @Test
    @Order(1)
    void withoutTheTokenNothingIsShown() {
        browser.get(base + "/");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Log in to Cloche");
        assertThat(browser.findElements(By.id("containers"))).isEmpty();
        browser.get(base + "/login?token=" + token.replace(token.charAt(0), token.charAt(0) == 'a' ? 'b' : 'a'));
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Log in to Cloche");
        browser.get(base + "/api/containers");
        assertThat(browser.getPageSource()).contains("UNAUTHENTICATED");
    }

    @Test
    @Order(2)
    void logsInWithTheTokenAndCreatesAContainer() throws Exception {
        browser.get(base + "/login?token=" + token);
        waiting(10).until(ExpectedConditions.presenceOfElementLocated(By.id("containers")));
        browser.findElement(By.cssSelector("#create-panel summary")).click();
        id("c-handle").sendKeys(HANDLE);
        id("c-memory").sendKeys("256");
        id("c-props").sendKeys("owner=e2e\nteam=web");
        id("create").click();
        waiting(60).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-handle='" + HANDLE + "']")));
        WebElement row = browser.findElement(By.cssSelector("tr[data-handle='" + HANDLE + "']"));
        assertThat(row.getText()).contains("active", "owner=e2e", "team=web");
        try (GardenClient c = daemon.unixClient()) {
            assertThat(c.lookup(HANDLE).currentMemoryLimits().limitInBytes()).isEqualTo(256L << 20);
        }
        // the filter keeps only matching containers
        id("filter").sendKeys("team=nobody" + Keys.ENTER);
        waiting(10).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#containers tbody tr"), 0));
        id("filter").clear();
        id("filter").sendKeys("team=web" + Keys.ENTER);
        waiting(10).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#containers tbody tr"), 1));
        shot("containers");
    }

    @Test
    @Order(3)
    void aShellShowsOutputAndTheExitStatus() throws Exception {
        browser.findElement(By.cssSelector("tr[data-handle='" + HANDLE + "'] button")).click(); // its Terminal button
        waiting(30).until(ExpectedConditions.textMatches(By.id("t-status"), Pattern.compile("Running process")));
        type("echo hi; exit 3" + Keys.ENTER);
        waiting(30).until(ExpectedConditions.textToBe(By.id("t-status"), "Process exited with status 3."));
        assertThat(terminalRows()).contains("hi").anyMatch(r -> r.contains("[exited with status 3]"));
        shot("terminal");
    }

    @Test
    @Order(4)
    void resizingTheWindowResizesTheTty() {
        openTerminal("");
        type("stty size" + Keys.ENTER);
        WebElement box = id("terminal");
        String before = box.getDomAttribute("data-rows") + " " + box.getDomAttribute("data-cols");
        waiting(20).until(d -> terminalRows().contains(before));
        browser.manage().window().setSize(new Dimension(900, 640));
        waiting(10).until(d -> !(box.getDomAttribute("data-rows") + " " + box.getDomAttribute("data-cols")).equals(before));
        String after = box.getDomAttribute("data-rows") + " " + box.getDomAttribute("data-cols");
        type("clear; stty size" + Keys.ENTER);
        waiting(20).until(d -> terminalRows().contains(after));
        type("exit" + Keys.ENTER);
        waiting(20).until(ExpectedConditions.textToBe(By.id("t-status"), "Process exited with status 0."));
        browser.manage().window().setSize(new Dimension(1280, 800));
    }

    @Test
    @Order(5)
    void uploadsAFileAndReadsItBack() throws Exception {
        Path file = Files.writeString(tmp.resolve("upload.txt"), "uploaded from chromium\n");
        id("tab-files").click();
        id("f-handle").sendKeys(HANDLE);
        id("f-dir").clear();
        id("f-dir").sendKeys("/tmp");
        id("f-file").sendKeys(file.toString());
        id("f-upload").click();
        waiting(20).until(ExpectedConditions.textToBe(By.id("f-status"), "Uploaded upload.txt into /tmp."));
        shot("files");
        openTerminal("cat /tmp/upload.txt");
        waiting(20).until(ExpectedConditions.textToBe(By.id("t-status"), "Process exited with status 0."));
        assertThat(terminalRows()).contains("uploaded from chromium");
        // and the download route gives it back as a tar, to the session's cookie only
        String cookie = browser.manage().getCookieNamed("cloche_session").getValue();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> tar = http.send(HttpRequest.newBuilder(URI.create(base + "/api/containers/" + HANDLE
                    + "/files?path=/tmp/upload.txt")).header("Cookie", "cloche_session=" + cookie).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(tar.statusCode()).isEqualTo(200);
            assertThat(new String(tar.body(), java.nio.charset.StandardCharsets.ISO_8859_1)).contains("upload.txt", "uploaded from chromium");
        }
    }

    @Test
    @Order(6)
    void theMemoryGraphMovesUnderDd() throws Exception {
        openTerminal("dd if=/dev/zero bs=96M count=1 | sleep 40");
        id("tab-containers").click();
        By row = By.cssSelector("tr[data-handle='" + HANDLE + "']");
        waiting(40).until(d -> Long.parseLong(d.findElement(row).getDomAttribute("data-memory")) > 80L << 20);
        // the sparkline has a low start and a peak: its points' y span most of its height
        waiting(10).until(d -> {
            String points = d.findElement(row).findElement(By.cssSelector("svg.spark polyline")).getDomAttribute("points");
            Matcher m = Pattern.compile(",([0-9.]+)").matcher(points);
            double min = 24, max = 0;
            while (m.find()) {
                double y = Double.parseDouble(m.group(1));
                min = Math.min(min, y);
                max = Math.max(max, y);
            }
            return max - min > 10;
        });
        shot("containers-memory");
    }

    @Test
    @Order(7)
    void endsAProxyEnvironment() throws Exception {
        String id;
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> made = http.send(HttpRequest.newBuilder(URI.create(daemon.proxyUrl() + "/demo/new"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
            Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(made.body());
            assertThat(m.find()).isTrue();
            id = m.group(1);
            id("tab-environments").click();
            By row = By.cssSelector("#environments tr[data-id='" + id + "']");
            waiting(20).until(ExpectedConditions.presenceOfElementLocated(row));
            assertThat(browser.findElement(row).getText()).contains(daemon.proxyUrl() + "/demo/" + id + "/");
            shot("environments");
            browser.findElement(row).findElement(By.tagName("button")).click();
            browser.switchTo().alert().accept();
            waiting(20).until(ExpectedConditions.numberOfElementsToBe(row, 0));
            HttpResponse<String> gone = http.send(HttpRequest.newBuilder(URI.create(daemon.proxyUrl() + "/demo/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(gone.statusCode()).isEqualTo(410);
        }
    }

    @Test
    @Order(8)
    void worksInANarrowWindowAndDestroysWithAConfirmation() throws Exception {
        browser.manage().window().setSize(new Dimension(420, 800));
        id("tab-containers").click();
        By row = By.cssSelector("tr[data-handle='" + HANDLE + "']");
        waiting(10).until(ExpectedConditions.presenceOfElementLocated(row));
        shot("containers-narrow");
        browser.manage().window().setSize(new Dimension(1280, 800));
        WebElement destroy = browser.findElement(By.cssSelector("tr[data-handle='" + HANDLE + "'] button.danger"));
        destroy.click();
        browser.switchTo().alert().dismiss(); // not confirmed: nothing happens
        try (GardenClient c = daemon.unixClient()) {
            assertThat(c.containers(Map.of())).extracting(Container::handle).contains(HANDLE);
        }
        browser.findElement(By.cssSelector("tr[data-handle='" + HANDLE + "'] button.danger")).click();
        browser.switchTo().alert().accept();
        waiting(30).until(ExpectedConditions.numberOfElementsToBe(row, 0));
        try (GardenClient c = daemon.unixClient()) {
            assertThat(c.containers(Map.of())).extracting(Container::handle).doesNotContain(HANDLE);
        }
    }
}
