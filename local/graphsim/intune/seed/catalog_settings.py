"""Settings catalog content: real-looking settingDefinitionIds and the three instance shapes
(choice, simple, group collection) that settings catalog policies mix."""

from __future__ import annotations

from typing import Any

from .random_source import Source

MS = "#microsoft.graph.deviceManagementConfiguration"
AREAS: dict[str, tuple[str, ...]] = {
    "device_vendor_msft_policy_config_defender": (
        "allowrealtimemonitoring",
        "allowbehaviormonitoring",
        "allowcloudprotection",
        "allowioavprotection",
        "allowscriptscanning",
        "cloudblocklevel",
        "cloudextendedtimeout",
        "puaprotection",
        "submitsamplesconsent",
        "scheduledscantime",
        "daysbeforedeletingquarantinedmalware",
        "enablenetworkprotection",
        "allowarchivescanning",
        "allowemailscanning",
        "allowfullscanremovabledrivescanning",
        "avgcpuloadfactor",
    ),
    "device_vendor_msft_bitlocker": (
        "requiredeviceencryption",
        "allowwarningforotherdiskencryption",
        "encryptionmethodbydrivetype",
        "systemdrivesrequirestartupauthentication",
        "systemdrivesrecoveryoptions",
        "fixeddrivesrecoveryoptions",
        "removabledrivesrequireencryption",
        "configurerecoverypasswordrotation",
        "allowstandarduserencryption",
        "identificationfield",
        "systemdrivesminimumpinlength",
        "fixeddrivesrequireencryption",
    ),
    "device_vendor_msft_firewall_mdmstore": (
        "global_disablestatefulftp",
        "global_crlcheck",
        "domainprofile_enablefirewall",
        "domainprofile_defaultinboundaction",
        "privateprofile_enablefirewall",
        "privateprofile_defaultinboundaction",
        "publicprofile_enablefirewall",
        "publicprofile_defaultinboundaction",
        "publicprofile_disableinboundnotifications",
        "global_enablepacketqueue",
        "domainprofile_logmaxfilesize",
        "publicprofile_allowlocalpolicymerge",
    ),
    "device_vendor_msft_policy_config_microsoft_edge~policy~microsoft_edge": (
        "homepagelocation",
        "restoreonstartup",
        "passwordmanagerenabled",
        "smartscreenenabled",
        "smartscreenpuaenabled",
        "preventsmartscreenpromptoverride",
        "browsersignin",
        "syncdisabled",
        "autofilladdressenabled",
        "autofillcreditcardenabled",
        "defaultsearchproviderenabled",
        "edgecollectionsenabled",
        "sitesafetyservicesenabled",
        "typosquattingcheckerenabled",
        "sslerroroverrideallowed",
        "hidefirstrunexperience",
    ),
    "device_vendor_msft_policy_config_update": (
        "activehoursstart",
        "activehoursend",
        "allowautoupdate",
        "deferfeatureupdatesperiodindays",
        "deferqualityupdatesperiodindays",
        "pausefeatureupdates",
        "scheduledinstallday",
        "scheduledinstalltime",
        "configuredeadlineforfeatureupdates",
        "configuredeadlineforqualityupdates",
        "configuredeadlinegraceperiod",
        "managepreviewbuilds",
        "allowmuupdateservice",
        "setdisableuxwuaccess",
        "updatenotificationlevel",
    ),
    "device_vendor_msft_policy_config_deviceguard": (
        "enablevirtualizationbasedsecurity",
        "requireplatformsecurityfeatures",
        "lsacfgflags",
        "configuresystemguardlaunch",
        "requireuefimemoryattributestable",
    ),
    "device_vendor_msft_laps_policies": (
        "backupdirectory",
        "passwordagedays",
        "passwordcomplexity",
        "passwordlength",
        "postauthenticationactions",
        "postauthenticationresetdelay",
        "administratoraccountname",
    ),
    "device_vendor_msft_policy_config_devicelock": (
        "devicepasswordenabled",
        "alphanumericdevicepasswordrequired",
        "mindevicepasswordlength",
        "maxinactivitytimedevicelock",
        "devicepasswordhistory",
        "maxdevicepasswordfailedattempts",
        "mindevicepasswordcomplexcharacters",
        "devicepasswordexpiration",
    ),
    "user_vendor_msft_policy_config_microsoft_onedrive~policy~onedrivengsc": (
        "kfmoptinnowizard",
        "kfmblockoptout",
        "silentaccountconfig",
        "filesondemandenabled",
        "disablepersonalsync",
        "automountteamsites",
        "kfmsilentoptin",
        "kfmsilentoptindesktop",
        "kfmsilentoptindocuments",
    ),
    "com.apple.mobiledevice.passwordpolicy": (
        "allowsimple",
        "forcepin",
        "maxfailedattempts",
        "maxinactivity",
        "maxpinageindays",
        "minlength",
        "pinhistory",
        "requirealphanumeric",
    ),
    "com.apple.applicationaccess": (
        "allowairdrop",
        "allowappinstallation",
        "allowcamera",
        "allowcloudbackup",
        "allowerasecontentandsettings",
        "allowscreenshot",
        "allowsafari",
        "forceencryptedbackup",
        "allowpasswordautofill",
        "allowpasscodemodification",
    ),
    "device_vendor_msft_policy_config_defender_attacksurfacereductionrules": (
        "blockexecutablecontentfromemailclientandwebmail",
        "blockallofficeapplicationsfromcreatingchildprocesses",
        "blockofficeapplicationsfromcreatingexecutablecontent",
        "blockofficeapplicationsfrominjectingcode",
        "blockjavascriptorvbscriptfromlaunchingdownloadedexecutablecontent",
        "blockexecutionofpotentiallyobfuscatedscripts",
        "blockwin32apicallsfromofficemacros",
        "blockcredentialstealingfromwindowslocalsecurityauthoritysubsystem",
        "blockprocesscreationsfrompsexecandwmicommands",
        "blockuntrustedunsignedprocessesthatrunfromusb",
        "blockadobereaderfromcreatingchildprocesses",
        "blockpersistencethroughwmieventsubscription",
        "blockabuseofexploitedvulnerablesigneddrivers",
        "useadvancedprotectionagainstransomware",
        "blockwebshellcreationforservers",
        "blockcopiedorimpersonatedsystemtools",
    ),
    "user_vendor_msft_policy_config_office16v2~policy~l_microsoftofficesystem~l_securitysettings": (
        "l_vbawarningspolicy",
        "l_disableallactivex",
        "l_macroruntimescanscope",
        "l_blockmacroexecutionfrominternet",
        "l_trustaccesstovbaprojectobjectmodel",
        "l_requirethatapplicationaddinsbesignedbytrustedpublisher",
        "l_disabletrustbarnotificationforunsignedapplicationaddins",
        "l_protectedviewforattachments",
        "l_turnoffprotectedviewforfilesdownloadedfrominternet",
        "l_setmaximumnumberofprotectedviewsessions",
        "l_disablehyperlinkwarnings",
        "l_automationsecurity",
        "l_encryptiontypeforpasswordprotectedofficeopenxml",
        "l_passwordstrengthpolicy",
        "l_checkoffice2003filesforsecurity",
        "l_blockallunmanagedaddins",
        "l_turnofftrusteddocuments",
        "l_turnofftrusteddocumentsonthenetwork",
        "l_disablevbaforofficeapplications",
        "l_allowmixofpolicyanduserlocations",
        "l_onlinecontentoptions",
        "l_disableinternetmediabasedupdates",
        "l_outlooksecuritymode",
        "l_junkemailprotectionlevel",
    ),
}
INTEGER_HINTS = (
    "time",
    "days",
    "length",
    "period",
    "size",
    "attempts",
    "history",
    "factor",
    "start",
    "end",
    "delay",
    "expiration",
    "inactivity",
    "level",
)
STRING_HINTS = ("location", "field", "name", "directory")


GROUP_CHILDREN = ("name", "enabled", "maxlength")


def definition_pool() -> list[str]:
    return [f"{area}_{name}" for area, names in AREAS.items() for name in names]


POOL = definition_pool()


def generate_settings(source: Source, count: int) -> list[dict[str, Any]]:
    """`count` settings, each `{id, settingInstance}`; about one in twelve is a group collection
    whose children's definition ids extend the parent's, as the catalog names them."""
    settings = []
    for index, definition_id in enumerate(source.sample(POOL, count)):
        if source.chance(0.08):
            children = [f"{definition_id}_{child}" for child in GROUP_CHILDREN]
            instance = group_collection(source, definition_id, children)
        else:
            instance = leaf(source, definition_id)
        settings.append({"id": str(index), "settingInstance": instance})
    return settings


def leaf(source: Source, definition_id: str) -> dict[str, Any]:
    leaf_name = definition_id.rsplit("_", 1)[-1]
    if leaf_name.endswith(INTEGER_HINTS):
        return simple(definition_id, "Integer", source.pick((1, 5, 7, 14, 15, 30, 60, 90, 365)))
    if leaf_name.endswith(STRING_HINTS):
        return simple(
            definition_id, "String", source.pick(("https://intranet.contoso.com", "Contoso IT", "C:\\Temp"))
        )
    return {
        "@odata.type": MS + "ChoiceSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "choiceSettingValue": {
            "settingValueTemplateReference": None,
            "value": f"{definition_id}_{source.pick((0, 1, 1, 1, 2))}",
            "children": [],
        },
    }


def simple(definition_id: str, kind: str, value: Any) -> dict[str, Any]:
    return {
        "@odata.type": MS + "SimpleSettingInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "simpleSettingValue": {
            "@odata.type": f"{MS}{kind}SettingValue",
            "settingValueTemplateReference": None,
            "value": value,
        },
    }


def group_collection(source: Source, definition_id: str, children: list[str]) -> dict[str, Any]:
    return {
        "@odata.type": MS + "GroupSettingCollectionInstance",
        "settingDefinitionId": definition_id,
        "settingInstanceTemplateReference": None,
        "groupSettingCollectionValue": [
            {"settingValueTemplateReference": None, "children": [leaf(source, child) for child in children]}
            for _ in range(source.between(1, 2))
        ],
    }
