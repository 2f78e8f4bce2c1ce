"""Name pools in the way MSPs name a baseline: `PLATFORM - Kind - Purpose`."""

from __future__ import annotations

PLATFORMS = {
    "windows10": "WIN",
    "iOS": "iOS",
    "macOS": "macOS",
    "android": "AND",
}
CATALOG_PURPOSES = (
    "BitLocker",
    "Defender Antivirus",
    "Firewall",
    "Attack Surface Reduction",
    "Edge",
    "OneDrive KFM",
    "Windows Hello for Business",
    "Local Admin Password",
    "Credential Guard",
    "Delivery Optimization",
    "Office Updates",
    "Power Management",
    "Windows Update Rings",
    "Start Menu",
    "Device Lock",
    "Audit Policy",
    "Browser Security",
    "SmartScreen",
    "Privacy",
    "Kiosk",
    "Time Zone",
    "Printers",
    "Remote Desktop",
    "FileVault",
    "Gatekeeper",
    "Software Update",
    "Passcode",
    "Restrictions",
)
TIERS = ("Baseline", "Standard", "Strict", "Pilot", "Exec", "Kiosk", "Frontline")
GROUP_NAMES = (
    "All Windows Devices",
    "All iOS Devices",
    "All macOS Devices",
    "All Android Devices",
    "Pilot Users",
    "Finance",
    "Sales",
    "Engineering",
    "Executives",
    "Frontline Workers",
    "Kiosk Devices",
    "IT Admins",
    "Contractors",
    "Autopilot Devices",
    "BYOD Users",
    "Shared Devices",
    "Marketing",
    "HR",
    "Legal",
    "Support",
)
SCOPE_TAGS = ("MSP-Managed", "Customer-Owned", "EU", "US", "Helpdesk", "Servers", "Retail", "Head Office")
FILTER_RULES = (
    ("Corporate Windows", "windows10AndLater", '(device.deviceOwnership -eq "Corporate")'),
    ("Windows 11", "windows10AndLater", '(device.osVersion -startsWith "10.0.22")'),
    ("Surface devices", "windows10AndLater", '(device.model -contains "Surface")'),
    ("Personal iOS", "iOS", '(device.deviceOwnership -eq "Personal")'),
    ("Supervised iOS", "iOS", "(device.enrollmentProfileName -ne null)"),
    ("Android Enterprise COPE", "androidForWork", '(device.deviceOwnership -eq "Corporate")'),
    ("macOS Sonoma+", "macOS", '(device.osVersion -startsWith "14")'),
    ("Virtual machines", "windows10AndLater", '(device.model -contains "Virtual")'),
)
