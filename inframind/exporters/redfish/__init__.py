"""Redfish BMCs through /probe: settings (light), client (IO), parse* (pure), walk (sections), families."""
