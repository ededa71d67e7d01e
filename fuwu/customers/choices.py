from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class AssetKind(TextChoices):
    UNIT = "unit", _("房屋单元")
    VEHICLE = "vehicle", _("车辆")
    EQUIPMENT = "equipment", _("设备")
    PARKING = "parking", _("车位")
    KEY = "key", _("钥匙")
    ROOM = "room", _("客房")
    TABLE = "table", _("餐桌")


class RecordAction(TextChoices):
    CREATED = "created", _("建档")
    UPDATED = "updated", _("更新")
    ANONYMISED = "anonymised", _("匿名化")
    MERGED = "merged", _("合并档案")
    UNMERGED = "unmerged", _("撤销合并")


class RevealReason(TextChoices):
    """Why someone revealed a personal value (a short choice: one click, then the value)."""

    CONTACT = "contact", _("联系客户")
    VISIT = "visit", _("上门服务")
    VERIFY = "verify", _("核实身份")
    OTHER = "other", _("其他")
