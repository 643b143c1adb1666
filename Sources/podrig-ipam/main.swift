import PodrigIPAM

// A CNI IPAM plugin: host-local's config plus sticky and requested Pod IPs, crash-safe leases
// and GC. Everything lives in PodrigIPAM; this process only runs one command.
IPAMPlugin.run()
