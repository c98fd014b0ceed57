package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The census's parsers, on the kernel tools' real output formats (others' prefixes must never count). */
class HostFootprintTest {

    @Test
    void nftRulesCountsChainsAndRulesOfThePrefixsTablesOnly() {
        String ruleset = """
                table inet cloche-sk { # handle 12
                	map egress { # handle 3
                		type ipv4_addr : verdict
                		elements = { 10.246.0.2 : jump c-0af60002 }
                	}
                	chain forward { # handle 1
                		type filter hook forward priority filter; policy accept;
                		iifname "sk*" ip saddr vmap @egress # handle 5
                	}
                	chain c-0af60002 { # handle 7
                		ip daddr 10.0.0.0/8 drop # handle 8
                		accept # handle 9
                	}
                }
                table netdev cloche-sk-bw-0af60002 { # handle 13
                	chain ingress { # handle 1
                		type filter hook ingress device "sk0af60002-0" priority filter; policy accept;
                		limit rate over 1 mbytes/second drop # handle 2
                	}
                }
                table inet cloche-skx { # handle 14
                	chain forward { # handle 1
                		accept # handle 2
                	}
                }
                table inet cloche-cl { # handle 15
                	chain c-0afe0002 { # handle 1
                		drop # handle 2
                	}
                }
                """;
        assertThat(HostFootprint.nftRules(ruleset, "sk")).isEqualTo(new HostFootprint.NftCount(3, 4));
        assertThat(HostFootprint.nftRules(ruleset, "cl")).isEqualTo(new HostFootprint.NftCount(1, 1));
        assertThat(HostFootprint.nftRules("", "sk")).isEqualTo(new HostFootprint.NftCount(0, 0));
    }

    @Test
    void linksAreThePrefixsVethsAndBridges() {
        String ip = """
                1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
                7: skbr0af60000: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT
                8: sk0af60002-0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master skbr0af60000 state UP
                9: sk0af60006-1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN
                10: cl0afe0002-0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
                11: skx0af60002-0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
                """;
        assertThat(HostFootprint.ourLinks(ip, "sk")).containsExactly("skbr0af60000", "sk0af60002-0", "sk0af60006-1");
    }

    @Test
    void qdiscsCountOnlyThePrefixsInterfaces() {
        String tc = """
                qdisc noqueue 0: dev lo root refcnt 2
                qdisc fq_codel 0: dev eth0 root refcnt 2 limit 10240p flows 1024
                qdisc tbf 8001: dev sk0af60002-0 root refcnt 2 rate 8Mbit burst 64Kb lat 25ms
                qdisc noqueue 0: dev skbr0af60000 root refcnt 2
                qdisc noqueue 0: dev cl0afe0002-0 root refcnt 2
                """;
        assertThat(HostFootprint.qdiscs(tc, "sk")).isEqualTo(2);
        assertThat(HostFootprint.qdiscs(tc, "zz")).isZero();
    }

    @Test
    void tablesAreThePrefixsRuleAndBandwidthTables() {
        String tables = """
                table inet cloche-sk
                table netdev cloche-sk-bw-0af60002
                table inet cloche-skx
                table ip nat
                """;
        assertThat(HostFootprint.ourTables(tables, "sk")).containsExactly("inet cloche-sk", "netdev cloche-sk-bw-0af60002");
    }
}
