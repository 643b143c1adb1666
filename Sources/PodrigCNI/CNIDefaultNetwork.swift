import PodrigCore

/// The network podrig uses when no CNI config is installed, so a first `runp` just works:
/// loopback, a dual-stack bridge with host-local IPAM, and portmap for hostPorts.
public enum CNIDefaultNetwork {
    public static let name = "podrig"
    public static let fileName = "10-podrig.conflist"
    /// The bridge in `text` (doctor looks for it, the forwarding notice recognizes the list by it).
    public static let bridge = "podrig0"

    public static let text = """
        {
          "cniVersion": "1.0.0",
          "name": "podrig",
          "plugins": [
            {
              "type": "loopback"
            },
            {
              "type": "bridge",
              "bridge": "podrig0",
              "isGateway": true,
              "ipMasq": true,
              "hairpinMode": true,
              "ipam": {
                "type": "host-local",
                "ranges": [
                  [{ "subnet": "10.88.0.0/16" }],
                  [{ "subnet": "fd00:88::/64" }]
                ],
                "routes": [
                  { "dst": "0.0.0.0/0" },
                  { "dst": "::/0" }
                ]
              }
            },
            {
              "type": "portmap",
              "capabilities": { "portMappings": true }
            }
          ]
        }

        """

    /// The same network with podrig-ipam instead of host-local (`podrig net default --ipam podrig`),
    /// sticky IPs on when a reservation TTL is given.
    public static func text(podrigIPAM reservationTTL: String?) -> String {
        var ipam = #""type": "podrig-ipam","#
        if let reservationTTL { ipam += "\n" + String(repeating: " ", count: 8) + #""reservation": { "ttl": "\#(reservationTTL)" },"# }
        return text.replacing(#""type": "host-local","#, with: ipam)
    }

    public static var list: CNIConfigList {
        // The text is a constant checked by the unit tests.
        try! CNIConfigList.parse(Array(text.utf8), source: "<embedded default network>", singlePlugin: false)
    }
}
