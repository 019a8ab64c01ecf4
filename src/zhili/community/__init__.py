"""What reaches the hub from a smart community (智慧小区, issue #6 items 4-6): gate passages
and the detectors on them (S1, S2), police QR codes on buildings and rented dwellings with
self-registration (S5), and cameras for back-tracking objects thrown from height (S3).
See docs/COMMUNITY.md."""
