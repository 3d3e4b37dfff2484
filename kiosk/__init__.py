"""consent-kiosk: informed consent on a clinic tablet, from explanation to signed PDF."""
