from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    UNIT = "unit", _("房屋单元")
    VEHICLE = "vehicle", _("车辆")
    EQUIPMENT = "equipment", _("设备")
    PARKING = "parking", _("车位")
    KEY = "key", _("钥匙")
    ROOM = "room", _("客房")


class RecordAction(models.TextChoices):
    CREATED = "created", _("建档")
    UPDATED = "updated", _("更新")
