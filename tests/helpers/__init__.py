"""Test helper library: free ports, real servers started on 127.0.0.1 and stopped by PID."""
