// libcni-client: a cnitool equivalent on Debian's libcni (golang-github-appc-cni-dev), so podrig's
// interop tests meet a real libcni client. Same command line and environment as cnitool v1.1:
//
//	libcni-client add|check|del NETWORK NETNS
//	libcni-client cached NETWORK NETNS   # GetNetworkListCachedResult + GetNetworkListCachedConfig, as JSON
//	libcni-client validate NETWORK       # ValidateNetworkList: the capabilities, or the error
//
// NETCONFPATH, CNI_PATH, CNI_IFNAME (default eth0), CNI_ARGS, CAP_ARGS as cnitool; CNI_CACHE_DIR
// (libcni's cache dir, default /var/lib/cni) and CNI_CONTAINERID (instead of the ID cnitool
// derives from the netns path) are this client's additions. Errors: one line on stderr, exit 1.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

func fail(err error) {
	fmt.Fprintf(os.Stderr, "libcni-client: %v\n", err)
	os.Exit(1)
}

// cnitool's CNI_ARGS parsing: K=V pairs separated by ';'.
func parseArgs(s string) ([][2]string, error) {
	var out [][2]string
	for _, pair := range strings.Split(s, ";") {
		kv := strings.Split(pair, "=")
		if len(kv) != 2 || kv[0] == "" {
			return nil, fmt.Errorf("invalid CNI_ARGS pair %q", pair)
		}
		out = append(out, [2]string{kv[0], kv[1]})
	}
	return out, nil
}

// The container ID cnitool uses: "cnitool-" + the first 10 bytes of sha512(absolute netns path).
func cnitoolID(netns string) string {
	sum := sha512.Sum512([]byte(netns))
	return fmt.Sprintf("cnitool-%x", sum[:10])
}

func main() {
	if len(os.Args) < 3 || (os.Args[1] != "validate" && len(os.Args) < 4) {
		fmt.Fprintf(os.Stderr, "usage: %s add|check|del|cached NETWORK NETNS | validate NETWORK\n", filepath.Base(os.Args[0]))
		os.Exit(2)
	}
	netdir := os.Getenv("NETCONFPATH")
	if netdir == "" {
		netdir = "/etc/cni/net.d"
	}
	list, err := libcni.LoadConfList(netdir, os.Args[2])
	if err != nil {
		fail(err)
	}
	cninet := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), os.Getenv("CNI_CACHE_DIR"), nil)
	ctx := context.Background()
	if os.Args[1] == "validate" {
		caps, err := cninet.ValidateNetworkList(ctx, list)
		if err != nil {
			fail(err)
		}
		fmt.Println(strings.Join(caps, ","))
		return
	}

	var capArgs map[string]interface{}
	if v := os.Getenv("CAP_ARGS"); v != "" {
		if err := json.Unmarshal([]byte(v), &capArgs); err != nil {
			fail(fmt.Errorf("CAP_ARGS: %v", err))
		}
	}
	var cniArgs [][2]string
	if v := os.Getenv("CNI_ARGS"); v != "" {
		if cniArgs, err = parseArgs(v); err != nil {
			fail(err)
		}
	}
	ifName, ok := os.LookupEnv("CNI_IFNAME")
	if !ok {
		ifName = "eth0"
	}
	netns, err := filepath.Abs(os.Args[3])
	if err != nil {
		fail(err)
	}
	id := os.Getenv("CNI_CONTAINERID")
	if id == "" {
		id = cnitoolID(netns)
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: ifName, Args: cniArgs, CapabilityArgs: capArgs}

	switch os.Args[1] {
	case "add":
		result, err := cninet.AddNetworkList(ctx, list, rt)
		if result != nil {
			_ = result.Print()
		}
		if err != nil {
			fail(err)
		}
	case "check":
		if err := cninet.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	case "del":
		if err := cninet.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
	case "cached":
		result, err := cninet.GetNetworkListCachedResult(list, rt)
		if err != nil {
			fail(err)
		}
		if result == nil {
			fail(fmt.Errorf("no cached result for %s/%s/%s", list.Name, id, ifName))
		}
		config, cachedRT, err := cninet.GetNetworkListCachedConfig(list, rt)
		if err != nil {
			fail(err)
		}
		var out = map[string]interface{}{"result": result, "config": json.RawMessage(config), "runtimeConfig": cachedRT}
		text, err := json.Marshal(out)
		if err != nil {
			fail(err)
		}
		fmt.Println(string(text))
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}
