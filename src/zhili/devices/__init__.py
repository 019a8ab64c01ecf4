"""Devices in smart compounds (issue #6): the MQTT broker, the device registry, telemetry
ingest with quarantine, heartbeats and maintenance tasks, and the fire scenario (S4): an alarm
cuts power where the device can, opens an event and the hub dispatches the nearest worker.
See docs/DEVICES.md."""
