"""/probe: multi-target collection of remote devices (SNMP, Redfish, IPMI, SSH, TCP), one module per request."""
