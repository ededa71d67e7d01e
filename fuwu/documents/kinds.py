"""The printed documents of the seeds, each tied to the procedures (and steps) it belongs to.

Plain data, no Django: a kind names the procedure fields it prints (in order; a field the
case's procedure does not declare is left out), the line-item fields printed as tables, the
checklist it prints (the QC sheet), whether the workshop's appointment, jobs and parts go on it,
and the signature boxes at its foot. `needs` are fields that must hold a value before the
document may be printed: a receipt without an amount paid is not a receipt.

Where each comes from in the seeds (/work/shared/seeds):
- payment notice, receipt: 收费管理规程 ("打印业主缴费通知单 … 财务部核对", "收取费用");
  the parking lease's payment and the paid repair's charge are receipted the same way.
- repair work order (派工单): 业主客户报修处理 ("开具维修工作单 … 维修结果记录 … 交财务"),
  product repair's work record; the owner signs for the work done.
- 4S repair order (任务委托书): 售后服务工作流程 / 七步法 ("顾客签名", estimate, promised time).
- key-lending form: 钥匙管理 (《钥匙借用表》, the borrower signs).
- parking permit: 机动车位租赁 ("缴费后发放停车证", "签定承诺书").
- handover form and owner's handbook acknowledgement: 房屋交接 ("业主签《业主手册》一式两份").
- QC sheet: 七步法 step 5 ("质量控制表、修理单上已签字").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language.lower().startswith("en") else self.zh


@dataclass(frozen=True)
class DocKind:
    key: str
    name: Text
    prefix: str  # the number's letters: "PG" + the site's sequence
    procedures: tuple[str, ...]
    fields: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # at least one of these must hold a value to print
    checklist_step: str = ""  # print this step's checklist answers (QC sheet)
    workshop: bool = False  # the appointment, repair jobs and parts of the case
    signatures: tuple[Text, ...] = ()  # boxes at the foot; the first is the customer's
    customer_signs: bool = True  # the first box may be signed on a tablet
    parts: tuple[Text, ...] = ()  # one page per part (一式两份): each marked with its holder
    note: Text | None = None  # a fixed line printed above the signatures

    def applies_to(self, procedure_key: str) -> bool:
        return procedure_key in self.procedures


CUSTOMER = Text("客户签名", "Customer's signature")
OWNER = Text("业主签名", "Owner's signature")
STAFF = Text("经办人", "Handled by")

KINDS: dict[str, DocKind] = {
    k.key: k
    for k in (
        DocKind(
            key="payment_notice",
            name=Text("缴费通知单", "Payment notice"),
            prefix="JF",
            procedures=("fee_collection",),
            fields=(
                "billing_period",
                "fee_type",
                "notice_no",
                "fee_basis",
                "area",
                "last_reading",
                "reading",
                "rate",
                "amount_due",
                "fee_details",
                "pay_by",
            ),
            needs=("amount_due", "fee_details"),
            signatures=(STAFF,),
            customer_signs=False,
            note=Text(
                "请于缴费截止日期前到客户服务中心缴纳，逾期将按规定催收。",
                "Please pay at the customer service centre by the date above; "
                "arrears are chased as the rules say.",
            ),
        ),
        DocKind(
            key="receipt",
            name=Text("收据", "Receipt"),
            prefix="SJ",
            procedures=("fee_collection", "parking_lease", "property_repair"),
            fields=(
                "billing_period",
                "fee_type",
                "space_no",
                "lease_start",
                "lease_end",
                "repair_item",
                "charge",
                "amount_paid",
                "payment_method",
                "receipt_no",
            ),
            needs=("amount_paid", "charge"),
            signatures=(Text("收款人", "Received by"), Text("交款人", "Paid by")),
            customer_signs=False,
        ),
        DocKind(
            key="work_order",
            name=Text("维修派工单", "Repair work order"),
            prefix="PG",
            procedures=("property_repair", "product_repair"),
            fields=(
                "repair_item",
                "location",
                "service_type",
                "contact_time",
                "product",
                "serial_no",
                "fault_description",
                "repair_mode",
                "appointment_at",
                "visit_at",
                "technician",
                "repair_engineer",
                "diagnosis",
                "solution",
                "repair_actions",
                "parts_replaced",
                "labour_hours",
                "result",
                "charge",
            ),
            lines=("labour", "materials"),
            signatures=(OWNER, Text("维修人员", "Repairer")),
            note=Text(
                "以上维修项目已完成，业主确认签名。",
                "The work above is done; the owner confirms by signing.",
            ),
        ),
        DocKind(
            key="repair_order",
            name=Text("任务委托书（维修单）", "Repair order"),
            prefix="WT",
            procedures=("car_reception_repair_order", "toyota_seven_step"),
            fields=(
                "order_no",
                "plate_no",
                "vin",
                "vehicle_model",
                "production_date",
                "odometer",
                "fuel_level",
                "customer_request",
                "customer_concern",
                "fault_description",
                "work_type",
                "warranty",
                "labour_estimate",
                "parts_estimate",
                "estimate_total",
                "estimate",
                "promised_at",
                "payment_method",
                "keep_old_parts",
                "old_parts",
            ),
            lines=("estimate_lines",),
            workshop=True,
            signatures=(CUSTOMER, Text("服务顾问", "Service advisor")),
            note=Text(
                "本人同意按以上项目及估价维修；追加项目须经本人同意。",
                "I authorise the work and estimate above; extra work needs my consent.",
            ),
        ),
        DocKind(
            key="key_lending",
            name=Text("钥匙借用表", "Key-lending form"),
            prefix="YS",
            procedures=("key_lending",),
            fields=(
                "borrower_name",
                "borrower_phone",
                "purpose",
                "borrower_relation",
                "identity_check",
                "consent_method",
                "owner_conditions",
                "key_no",
                "key_count",
                "expected_return",
                "returned_by",
                "key_condition",
            ),
            needs=("key_no",),
            signatures=(Text("借用人签名", "Borrower's signature"), STAFF),
        ),
        DocKind(
            key="parking_permit",
            name=Text("停车证", "Parking permit"),
            prefix="TC",
            procedures=("parking_lease",),
            fields=(
                "permit_no",
                "plate_no",
                "space_no",
                "space_kind",
                "vehicle_model",
                "vehicle_colour",
                "lease_type",
                "lease_start",
                "lease_end",
                "commitment_no",
            ),
            needs=("lease_end",),
            signatures=(
                Text("车主签名（已签定车位使用承诺书）", "Holder (signed the commitment letter)"),
                STAFF,
            ),
            note=Text(
                "请将本证放置于前挡风玻璃明显处；租期届满前请续缴费用。",
                "Keep this permit behind the windscreen; renew before the lease ends.",
            ),
        ),
        DocKind(
            key="handover",
            name=Text("房屋交接表", "House handover form"),
            prefix="JJ",
            procedures=("house_handover",),
            fields=(
                "owner_name",
                "unit_no",
                "contact_phone",
                "id_type",
                "purchase_contract_no",
                "family_members",
                "keys_handed",
                "water_meter",
                "electricity_meter",
                "defects_found",
            ),
            lines=("members",),
            signatures=(OWNER, Text("工程部", "Engineering")),
        ),
        DocKind(
            key="handbook",
            name=Text("《业主手册》签收单", "Owner's handbook acknowledgement"),
            prefix="SC",
            procedures=("house_handover",),
            fields=("owner_name", "unit_no", "purchase_contract_no"),
            signatures=(OWNER, STAFF),
            parts=(
                Text("业主留存", "Owner's copy"),
                Text("管理处留存", "Management office's copy"),
            ),
            note=Text(
                "本人已收到并阅读《业主手册》，同意遵守其中的各项规定。",
                "I have received and read the owner's handbook and agree to keep its rules.",
            ),
        ),
        DocKind(
            key="qc_sheet",
            name=Text("质量检验单", "QC sheet"),
            prefix="ZJ",
            procedures=("toyota_seven_step",),
            fields=(
                "order_no",
                "plate_no",
                "technician",
                "work_performed",
                "labour_hours",
                "qc_priority",
                "qc_fail_reason",
            ),
            checklist_step="qc",
            workshop=True,
            signatures=(Text("质检员", "QC inspector"), Text("维修技师", "Technician")),
            customer_signs=False,
        ),
    )
}


def kinds_for(procedure_key: str) -> list[DocKind]:
    """The documents a case of this procedure may print, in the order above."""
    return [k for k in KINDS.values() if k.applies_to(procedure_key)]


def signable(kind: DocKind) -> bool:
    return kind.customer_signs and bool(kind.signatures)
