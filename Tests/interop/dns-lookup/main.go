// dns-lookup NAME SERVER: resolves NAME (A/AAAA) by asking SERVER:53 directly with Go's own
// resolver (no /etc/resolv.conf, no nsswitch), one address per line; exit 1 if none. podrig's
// dnsname test runs it inside a pod's netns to ask dnsname's dnsmasq.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: dns-lookup NAME SERVER")
		os.Exit(2)
	}
	server := net.JoinHostPort(os.Args[2], "53")
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", server)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "dns-lookup: %v\n", err)
		os.Exit(1)
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
}
