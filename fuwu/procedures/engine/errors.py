"""Errors the engine and the action layer raise, with messages in both UI languages.

The engine imports no Django, so it cannot use gettext; each error carries a stable `code`,
machine `params` and a bilingual template. The API and the web pages pick the language.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "not_found": ("未找到{what}", "{what} not found"),
    "unknown_transition": (
        "当前步骤“{step}”没有操作“{transition}”",
        "Step '{step}' has no action '{transition}'",
    ),
    "role_not_allowed": (
        "您的角色不能执行“{transition}”（需要：{roles}）",
        "Your roles may not take '{transition}' (needs: {roles})",
    ),
    "guard_failed": (
        "条件不满足，不能执行“{transition}”",
        "The condition for '{transition}' is not met",
    ),
    "invalid_form": ("表单有误，请检查标出的字段", "The form has errors; check the marked fields"),
    "stale": (
        "该工单已被他人修改（您看到的是第 {seen} 版，当前为第 {current} 版），请刷新后重试",
        "Someone else changed this case (you saw version {seen}, it is now {current}); reload and try again",
    ),
    "case_closed": ("工单已关闭，不能再修改", "The case is closed and cannot be changed"),
    "no_such_department": ("部门“{department}”不存在", "Department '{department}' does not exist"),
    "same_department": ("工单已属于该部门", "The case already belongs to that department"),
    "assignee_not_eligible": (
        "{person} 不能承接此工单（不在该项目或已停用）",
        "{person} cannot take this case (not on its site or inactive)",
    ),
    "not_parallel": ("当前步骤没有并行任务", "The current step has no parallel tasks"),
    "task_done": ("该任务已完成", "That task is already done"),
    "procedure_unknown": ("服务程序“{procedure}”不存在", "Procedure '{procedure}' does not exist"),
    "channel_not_allowed": (
        "该服务程序不受理渠道“{channel}”",
        "This procedure does not take the channel '{channel}'",
    ),
    "not_paused": ("工单计时未暂停", "The case clock is not paused"),
    "already_paused": ("工单计时已暂停", "The case clock is already paused"),
    "forbidden": ("您没有权限执行此操作", "You are not allowed to do this"),
    "invalid_subscription": ("订阅内容有误", "The subscription is not valid"),
    "subscription_exists": (
        "您已订阅了同样条件、同样频率的这份报表",
        "You already subscribe to this report with these filters and frequency",
    ),
    "subscription_undeliverable": (
        "无法发送：账号已停用或没有电子邮箱",
        "Cannot send: the account is inactive or has no e-mail address",
    ),
    "reveal_not_allowed": (
        "只有本项目的客服、经理或正在处理该客户工单的人员可以查看完整的个人信息",
        "Only the site's agents and managers, or the people working the customer's open case, "
        "may see full personal details",
    ),
    "phone_search_too_short": (
        "按电话号码查找请至少输入 {min} 位数字",
        "Searching by phone number needs at least {min} digits",
    ),
    "automatic_loop": ("自动步骤形成循环", "Automatic steps form a loop"),
    "bad_request": ("请求无效：{reason}", "Invalid request: {reason}"),
    "unauthorized": ("需要有效的 API 令牌或登录", "A valid API token or login is required"),
    "too_large": ("请求体过大", "The request body is too large"),
    "bad_secret": ("共享密钥无效", "The shared secret is missing or wrong"),
    "mail_refused": ("邮件已拒收：{reason}", "The mail was refused: {reason}"),
    "merge_not_allowed": (
        "只有本项目的客服或经理可以合并客户档案",
        "Only the site's agents and managers may merge customer records",
    ),
    "merge_same_record": ("不能把档案与自身合并", "A record cannot be merged with itself"),
    "merge_other_site": (
        "两份档案属于不同项目，不能合并",
        "The two records belong to different sites and cannot be merged",
    ),
    "merge_two_accounts": (
        "两份档案都已绑定客户账号，不能合并（请先在后台解除其中一个账号的绑定）",
        "Both records have a portal account and cannot be merged "
        "(unlink one of the accounts in the admin first)",
    ),
    "merge_already_merged": (
        "该档案已合并到其他档案",
        "This record is already merged into another",
    ),
    "merge_undone": ("该合并已撤销", "This merge was already undone"),
    "merge_too_old": (
        "合并已超过 {hours} 小时，不能再撤销",
        "The merge is more than {hours} hours old and can no longer be undone",
    ),
    "conflict": ("数据冲突：{reason}", "Conflict: {reason}"),
    "confirm_warnings": ("请确认以下提示后再提交", "Confirm these warnings, then submit again"),
    "not_resolved": (
        "服务尚未完成，完成后才能确认或评价",
        "The service is not finished yet; you can confirm or rate it once it is done",
    ),
    "already_rated": ("您已评价过这次服务", "You have already rated this service"),
    "already_confirmed": ("您已确认过完成", "You have already confirmed completion"),
    "step_owned_elsewhere": (
        "此步骤由{department_zh}办理",
        "This step is worked by {department_en}",
    ),
    "department_only": (
        "工单当前由{department_zh}负责，只有该部门人员或其上级经理可以执行此操作",
        "The case is with {department_en}; only its staff or the managers above them may do this",
    ),
    "priority_not_allowed": (
        "只有{department_zh}的调度员或经理可以调整此工单的优先级",
        "Only a dispatcher or manager of {department_en} may change this case's priority",
    ),
    "same_priority": ("工单已是该优先级", "The case already has that priority"),
    "assign_not_allowed": (
        "只有{department_zh}的调度员或经理可以指派此工单",
        "Only a dispatcher or manager of {department_en} may assign this case",
    ),
    "already_assigned": (
        "工单已由他人处理，只有{department_zh}的调度员或经理可以改派",
        "Someone else has the case; only a dispatcher or manager of {department_en} may reassign it",
    ),
    "assignee_not_in_department": (
        "{person} 不能办理此步骤（须为{department_zh}中具有相应角色的人员）",
        "{person} cannot work this step (it needs someone of {department_en} with the step's role)",
    ),
    "work_log_not_allowed": (
        "只有处理人或{department_zh}的技术人员可以记录工作",
        "Only the assignee or technicians of {department_en} may log work",
    ),
    "attach_not_allowed": (
        "只有处理人或{department_zh}的员工可以上传附件",
        "Only the assignee or staff of {department_en} may attach files",
    ),
    "branch_owned_elsewhere": (
        "此任务由{department_zh}完成",
        "This task is completed by {department_en}",
    ),
    "open_not_allowed": (
        "您不能受理“{procedure_zh}”",
        "You may not open '{procedure_en}'",
    ),
    "bad_idempotency_key": (
        "Idempotency-Key 无效：应为 1 至 255 个可打印 ASCII 字符（不含空格）",
        "Invalid Idempotency-Key: use 1 to 255 printable ASCII characters (no spaces)",
    ),
    "idempotency_key_reused": (
        "该 Idempotency-Key 已用于另一个请求；新的请求请使用新的键",
        "This Idempotency-Key was used for a different request; use a new key for a new request",
    ),
    "idempotency_in_progress": (
        "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
        "A request with this Idempotency-Key is still being processed; retry shortly",
    ),
    "comment_not_allowed": (
        "只有本项目的员工可以添加备注",
        "Only staff of the case's site may comment",
    ),
    "token_expired": (
        "API 令牌已过期，请登录后创建新令牌",
        "The API token has expired; sign in and create a new one",
    ),
    "token_revoked": (
        "API 令牌已被撤销（撤销本人的令牌、修改密码或停用账号都会撤销令牌）",
        "The API token was revoked (by its owner, a password change or a deactivated account)",
    ),
    "token_scope": (
        "此 API 令牌只有“{scopes_zh}”权限，不能执行此操作",
        "This API token has only the '{scopes_en}' scope and cannot do this",
    ),
    "token_cannot_mint": (
        "只有登录的用户才能创建 API 令牌，令牌不能创建令牌",
        "Only a signed-in person can create API tokens; a token cannot create tokens",
    ),
    # Input limits (fuwu.core.limits): what every engine, serializer and backup can carry.
    "nul_character": (
        "输入中含有不允许的空字符（NUL, \\0），未做任何更改",
        "The input contains a NUL character (\\0), which is not allowed; nothing was changed",
    ),
    "bad_character": (
        "输入中含有无效的字符（如单独的代理项 \\ud800），未做任何更改",
        "The input contains an invalid character (such as a lone surrogate \\ud800); nothing was changed",
    ),
    "too_deep": (
        "数据嵌套过深（最多 {max} 层），未做任何更改",
        "The data is nested too deeply (at most {max} levels); nothing was changed",
    ),
    "too_complex": (
        "数据过大，未做任何更改",
        "The data is too large; nothing was changed",
    ),
    # Workshop scheduling (fuwu.scheduling).
    "over_capacity": (
        "{day} 的可预约工时不足：还剩 {left} 小时，本次预约需 {hours} 小时。"
        "请改约其他日期，或由经理填写原因批准超额预约",
        "Not enough bookable hours on {day}: {left} h left, this booking needs {hours} h. "
        "Book another day, or have a manager approve the overbooking with a reason",
    ),
    "override_not_allowed": (
        "只有车间经理可以批准超额预约",
        "Only the workshop's manager may approve an overbooking",
    ),
    "slot_full": (
        "{advisor} 在 {slot} 这一接待时段已约满 {limit} 位客户，请选择其他时间",
        "{advisor} already receives {limit} customers in the {slot} slot; choose another time",
    ),
    "booking_in_past": (
        "预约时间已过，请选择将来的时间",
        "The appointment time has passed; choose a time to come",
    ),
    "closed_day": ("{day} 车间不营业（休息日）", "The workshop is closed on {day}"),
    "outside_hours": (
        "预约时间须在营业时间 {opens}–{closes} 之内",
        "The appointment must be within opening hours, {opens}–{closes}",
    ),
    "no_hours": (
        "预约至少要有一项作业，工时大于 0",
        "A booking needs at least one job with hours above 0",
    ),
    "appointment_not_open": (
        "该预约已{status}，不能再修改",
        "This appointment is {status} and can no longer be changed",
    ),
    "unknown_operation": (
        "工时目录中没有作业代码 {operation}",
        "No operation {operation} in the labour-time catalogue",
    ),
    "not_a_workshop": (
        "{department} 不是车间，不能预约工时",
        "{department} is not a workshop: it takes no bookings",
    ),
    "appointment_needs_customer": (
        "预约车间工时需要先选定客户",
        "Booking the workshop's hours needs the case's customer",
    ),
    "may_not_book": ("您不能为该车间登记预约", "You may not book appointments for this workshop"),
    "reserve_used_up": (
        "今天的可用工时已用完（含预留工时）：还剩 {free} 小时，本次接待需 {hours} 小时。"
        "请预约其他日期，或由经理填写原因批准",
        "Today's hours are used up, the reserve included: {free} h free, this walk-in needs "
        "{hours} h. Book another day, or a manager approves it with a reason",
    ),
    "not_a_technician_here": (
        "所选技师不在该车间或已不在岗",
        "The chosen technician is not in this workshop or no longer active",
    ),
    "follow_up_done": ("该失约跟进已完成", "This no-show follow-up is already done"),
    # Parts (fuwu.scheduling.parts).
    "insufficient_stock": (
        "配件 {part} {name} 库存不足：可用 {available} {unit}，需要 {quantity} {unit}",
        "Not enough of part {part} {name} in stock: {available} {unit} available, "
        "{quantity} {unit} needed",
    ),
    "return_too_many": (
        "配件 {part} 最多可退回 {most} {unit}（已领用未退回的数量），不能退回 {quantity} {unit}",
        "At most {most} {unit} of part {part} can be returned (issued and not yet returned), "
        "not {quantity} {unit}",
    ),
    "unknown_part": ("配件目录中没有配件 {part}", "No part {part} in the parts catalogue"),
    "other_site_part": (
        "配件 {part} 属于其他项目，不能用于本项目",
        "Part {part} belongs to another site and cannot be used here",
    ),
    "bad_quantity": ("数量须大于 0", "The quantity must be above 0"),
    "reservation_not_open": (
        "该配件记录为“{status}”，不能再执行此操作",
        "These parts are {status}; this can no longer be done",
    ),
    "no_shortage": ("该预约没有待确认的缺件", "This appointment has no shortage to confirm"),
    "may_not_handle_parts": (
        "您不能办理该项目的配件",
        "You may not handle parts for this site",
    ),
    # On-site visits and routes (fuwu.scheduling.routes)
    "no_field_base": (
        "该车间尚未设置外勤基地（出发地点与平均车速），不能排线",
        "This workshop has no field base (where technicians leave from, and their speed); "
        "routes cannot be planned",
    ),
    "may_not_dispatch": (
        "只有本项目的调度员、服务顾问或经理可以安排上门服务和调整路线",
        "Only the site's dispatchers, service advisors and managers may arrange visits "
        "and change routes",
    ),
    "routes_changed": (
        "排线期间当天的上门服务有变动，请重新排线",
        "The day's visits changed while the routes were being planned; plan again",
    ),
    "visit_not_movable": (
        "该上门服务{status}，不能调整",
        "This visit is {status} and cannot be moved",
    ),
    "not_on_shift": ("{technician} 当天不上班", "{technician} is not on shift that day"),
    "lacks_skill": (
        "{technician} 没有“{skill}”技能，不能承接此上门服务",
        "{technician} does not have the skill '{skill}' this visit needs",
    ),
    "visit_would_be_late": (
        "这样调整后，{address} 的服务要 {start} 才能开始，晚于与客户约定的最晚时间 {late}",
        "After this change the visit at {address} would start at {start}, "
        "after the latest time agreed with the customer, {late}",
    ),
    "route_over_shift": (
        "这样调整后，{technician} 要到 {back} 才能回到基地，晚于下班时间 {end}",
        "After this change {technician} would be back at the base at {back}, "
        "after the shift ends at {end}",
    ),
    "bad_window": (
        "时间窗无效：最早开始须不晚于最晚开始，且在 {opens}–{closes} 之内",
        "Invalid window: the earliest start must not be after the latest, "
        "and both within {opens}–{closes}",
    ),
    "bad_place": (
        "坐标无效：纬度须在 -90 到 90 之间，经度在 -180 到 180 之间",
        "Invalid coordinates: latitude must be within -90 to 90, longitude within -180 to 180",
    ),
    # Production (fuwu.scheduling.production).
    "no_workshop": ("该项目没有设置车间", "This site has no workshop set up"),
    "may_not_dispatch_jobs": (
        "只有本车间的调度或经理可以派工",
        "Only the workshop's dispatchers and managers may dispatch jobs",
    ),
    "technician_lacks_skill": (
        "{technician} 不具备该作业所需的技能：{skill}（等级 {level}）",
        "{technician} does not have the skill this job needs: {skill} (level {level})",
    ),
    "technician_off_shift": (
        "{technician} 在 {at} 不当班",
        "{technician} is not on shift at {at}",
    ),
    "technician_busy": (
        "{technician} 在 {start}–{end} 已排有作业“{job}”（一次只做一张修理单）",
        "{technician} already has “{job}” planned {start}–{end} (one repair order at a time)",
    ),
    "not_a_technician": (
        "所选人员不是本车间的技术员",
        "That person is not a technician of this workshop",
    ),
    "not_a_technician_to_clock": (
        "您不是本车间的技术员，不能打卡",
        "You are not a technician of this workshop and cannot clock on",
    ),
    "one_job_at_a_time": (
        "您正在进行作业“{job}”：一名技术员同一时间只能做一项作业，请先停工或完工",
        "You are already clocked on to '{job}': a technician works one job at a time; "
        "stop or finish it first",
    ),
    "job_running": (
        "该作业正由 {technician} 进行中",
        "{technician} is already working on this job",
    ),
    "job_done": ("该作业已完工", "This job is already done"),
    "job_assigned_elsewhere": (
        "该作业已派给 {technician}",
        "This job is dispatched to {technician}",
    ),
    "job_not_running": ("该作业没有在进行中", "This job is not running"),
    "not_your_job": ("这不是您正在进行的作业", "This is not a job you are clocked on to"),
    "stop_needs_reason": (
        "停工请选择原因（等待零件、外发加工、下班或其他）",
        "Stopping needs a reason (waiting for parts, outside work, end of shift or other)",
    ),
    "no_jobs": ("该工单没有维修作业", "This repair order has no jobs"),
    "promise_needs_reason": ("更改交车时间请填写原因", "A new promised time needs a reason"),
    "promise_in_past": ("新的交车时间须在将来", "The new promised time must be in the future"),
    "may_not_promise": (
        "只有服务顾问、调度或经理可以更改交车时间",
        "Only service advisors, dispatchers and managers may change the promised time",
    ),
    "carry_over_needs_reason": ("滞留车请填写原因", "A carry-over needs a reason"),
    "already_carried": (
        "该车已登记为 {day} 的滞留车",
        "This car is already carried over from {day}",
    ),
    "visit_needs_place": (
        "不能安排上门：服务对象“{asset}”没有登记位置坐标（属性 lat 纬度、lon 经度），"
        "请先在服务对象资料中补充",
        "The visit cannot be booked: the asset '{asset}' has no coordinates recorded "
        "(attributes lat and lon); add them to the asset's record first",
    ),
    # Reports (fuwu.reports)
    "invalid_filters": (
        "报表筛选条件有误，请检查标出的项",
        "The report filters have errors; check the marked ones",
    ),
    "bad_kpi_period": (
        "统计期间无效：结束日期不能早于开始日期，且最长 {days} 天",
        "Not a valid period: the end cannot be before the start, and at most {days} days",
    ),
    "bad_kpi_kind": ("没有这一项指标", "There is no such figure"),
    # Surveys (fuwu.surveys)
    "survey_link_invalid": (
        "问卷链接无效，请检查链接是否完整",
        "This survey link is not valid; check that the whole link was copied",
    ),
    "survey_link_expired": (
        "问卷链接已过期，感谢您的关注",
        "This survey link has expired; thank you all the same",
    ),
    "survey_answered": (
        "这份问卷已经提交过了，不能重复作答",
        "This survey has already been answered",
    ),
    "survey_closed": ("该调查轮次未开放或已结束", "This survey round is not open"),
    "survey_not_current": (
        "该问卷已有新版本，请使用新的调查轮次",
        "This questionnaire has a newer version; use a round of it",
    ),
    # Printed documents (fuwu.documents)
    "document_unknown": ("没有这种单据", "There is no such document"),
    "document_not_applicable": (
        "此工单的服务程序没有这种单据",
        "This case's procedure has no such document",
    ),
    "document_incomplete": (
        "“{document_zh}”还缺少内容，请先填写：{fields_zh}",
        "The {document_en} is not complete yet; fill in first: {fields_en}",
    ),
    "print_not_allowed": ("您不能打印此工单的单据", "You may not print this case's documents"),
    "document_not_signable": (
        "这种单据不由客户签名",
        "The customer does not sign this document",
    ),
    # Spreadsheet imports (fuwu.sheets)
    "import_not_pending": (
        "此导入已完成或有错误，请重新上传",
        "This import is done or has errors; upload the file again",
    ),
    "import_no_file": ("请选择要上传的文件", "Choose a file to upload"),
    "import_expired": (
        "预览已超过 24 小时，请重新上传",
        "The preview is over 24 hours old; upload again",
    ),
    # Outbound webhooks (fuwu.channels.webhooks)
    "webhook_disabled": (
        "该 Webhook 订阅已停用，请先启用再重发",
        "This webhook subscription is disabled; enable it before replaying",
    ),
    "webhook_in_flight": (
        "该记录正在排队或发送中，请稍后再试",
        "This delivery is queued or being sent; try again later",
    ),
    # WeChat, SMS and the phone screen-pop (fuwu.channels)
    "too_many_codes": (
        "绑定码申请过于频繁，请 {minutes} 分钟后再试",
        "Too many binding codes asked for; try again in {minutes} minutes",
    ),
    "no_wechat_account": ("本项目没有启用的微信公众号", "This site has no active WeChat account"),
    "phone_bad_caller": (
        "来电号码无效：“{caller}”",
        "The caller's number is not a valid phone number: '{caller}'",
    ),
    "phone_bad_call_id": (
        "通话标识应为 1 到 {max} 个字母、数字或 -_.:",
        "The call id must be 1 to {max} letters, digits or -_.:",
    ),
}

FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("必填", "This field is required"),
    "not_text": ("应为文字", "Must be text"),
    "too_long": ("不能超过 {max} 个字符", "At most {max} characters"),
    "not_number": ("应为数字", "Must be a number"),
    "below_min": ("不能小于 {min}", "Must be at least {min}"),
    "above_max": ("不能大于 {max}", "Must be at most {max}"),
    "bad_choice": ("无效选项，可选：{options}", "Not an option; choose one of: {options}"),
    "not_datetime": ("应为日期时间（ISO 8601）", "Must be a date-time (ISO 8601)"),
    "in_past": ("不能早于现在", "Cannot be in the past"),
    "not_date": ("应为日期（YYYY-MM-DD）", "Must be a date (YYYY-MM-DD)"),
    "not_bool": ("应为是/否", "Must be yes or no"),
    "not_person": ("应为员工用户名", "Must be a staff username"),
    "not_eligible_person": (
        "此人不能承接下一步骤（须为该部门相应岗位的在职员工或部门经理），请从列表中选择",
        "This person cannot take the next step (an active member of that department in the "
        "right role, or its manager); choose from the list",
    ),
    "not_case": (
        "应为本项目中您可查看的工单编号（如 20261203-000123）",
        "Must be the number of a case of this site you may see (such as 20261203-000123)",
    ),
    "not_money": ("应为金额（最多两位小数）", "Must be an amount with at most two decimals"),
    "not_personal": ("此项不是可查看的个人信息", "Not a personal detail that can be revealed"),
    "unknown_field": ("此步骤没有该字段", "This step has no such field"),
    "out_of_range": (
        "测量值 {value}{unit} 超出允许范围 {range}",
        "Measured {value}{unit} is outside the accepted range {range}",
    ),
    "not_done": ("检查项未完成", "Checklist item not done"),
    "no_such_item": ("此步骤没有该检查项", "This step has no such checklist item"),
    "not_applicable": ("此项不适用", "This item does not apply"),
    "already_voided": (
        "这条记录已作废或不属于此工单",
        "This row is already voided or not on this case",
    ),
    "bad_document": ("应为 已收/缺少/不一致", "Must be received, missing or inconsistent"),
    "bad_rrule": ("重复规则无效：{reason}", "Not a valid recurrence rule: {reason}"),
    "no_assets": ("没有符合条件的服务对象", "No asset matches"),
    "bad_phone": (
        "请输入有效的电话号码（数字，可含 +、空格或 -）",
        "Enter a valid phone number (digits; +, spaces and - allowed)",
    ),
    "duplicate_phone": (
        "该项目已有使用这个电话的客户：{name}。请直接搜索选择",
        "A customer of this site already has this phone number: {name}. Search for them instead",
    ),
    "bad_email": ("请输入有效的电子邮件地址", "Enter a valid e-mail address"),
    "not_on_site": ("不是本项目的客户", "Not a customer of this site"),
    "catalogue_taken": ("已在目录中：{value}", "Already in the catalogue: {value}"),
    "asset_taken": (
        "该服务对象已登记，请搜索它的业主",
        "This asset is already registered; search for its owner",
    ),
    "balance_taken": (
        "该房屋的这一收费项目已有期初余额",
        "This unit already has an opening balance for this fee",
    ),
    "not_choices": ("应为选项列表", "Must be a list of options"),
    "not_lines": ("应为明细行列表", "Must be a list of rows"),
    "not_row": ("该行格式无效", "This row is not a set of columns"),
    "unknown_column": ("明细没有这一列", "The rows have no such column"),
    "too_many_rows": ("最多 {max} 行", "At most {max} rows"),
    "too_few_rows": ("至少 {min} 行", "At least {min} rows"),
    "computed_field": ("此项自动计算，不能填写", "This value is computed; it cannot be entered"),
    "department_not_on_site": ("本项目没有该部门", "This site has no such department"),
    "token_days": ("有效期应为 1 到 {max} 天", "The lifetime must be 1 to {max} days"),
    "days_or_date": (
        "请只填写天数或到期时间之一",
        "Give either a number of days or an expiry date",
    ),
    "nul_character": ("不能含有空字符（NUL, \\0）", "Must not contain a NUL character (\\0)"),
    "bad_character": ("含有无效的字符", "Contains an invalid character"),
    "too_deep": ("嵌套过深（最多 {max} 层）", "Nested too deeply (at most {max} levels)"),
    "too_complex": ("数据过大", "Too large"),
    # Report filters (fuwu.reports)
    "report_unknown_site": (
        "没有项目“{site}”，或你无权查看它的报表",
        "No site '{site}', or you may not see its reports",
    ),
    "report_unknown_procedure": ("没有服务程序“{procedure}”", "No procedure '{procedure}'"),
    "report_period_reversed": (
        "开始日期不能晚于结束日期",
        "The start date must not be after the end date",
    ),
    "report_period_too_long": ("统计期间最长 {max} 天", "The period may be at most {max} days"),
    "report_unknown_measure": ("没有这个报表指标", "No such report figure"),
    "not_signature": (
        "请先在签名框内签名（应为 PNG 图片）",
        "Sign in the box first (a PNG picture)",
    ),
    "report_bad_date": ("请输入有效的日期（年-月-日）", "Enter a valid date (year-month-day)"),
    "report_bad_number": ("应为整数编号", "Must be a whole-number id"),
    "survey_closes_first": ("结束时间应晚于开始时间", "The end must be after the start"),
    "survey_case_invited": (
        "该工单在本轮已有问卷",
        "This case already has a survey in this round",
    ),
    # Report subscriptions (fuwu.reports.subscriptions)
    "subscription_unknown_report": ("没有这个报表", "No such report"),
    "subscription_bad_frequency": (
        "频率应为每日、每周或每月",
        "The frequency must be daily, weekly or monthly",
    ),
    # The seeds' lists (fuwu.reports.lists)
    "report_bad_state": ("没有这个缴费状态", "No such payment state"),
    "report_bad_grain": ("请选择按日或按周", "Choose by day or by week"),
    "report_bad_month": ("请输入有效的月份（年-月）", "Enter a valid month (year-month)"),
    # Outbound webhooks (fuwu.channels.webhooks)
    "webhook_url": (
        "请输入完整的 https:// 地址（不含用户名和密码，最多 500 个字符）",
        "Enter a whole https:// URL (no user name or password, at most 500 characters)",
    ),
    "webhook_https": (
        "只能使用 https:// 地址（http 仅限管理员允许的内部主机）",
        "Only https:// URLs are allowed (plain http only for hosts the administrator allows)",
    ),
    "webhook_private": (
        "不能发送到内网、本机或保留地址",
        "Webhooks cannot go to private, loopback or reserved addresses",
    ),
    "webhook_site_required": (
        "请选择项目（订阅所有项目的事件需要管理员权限）",
        "Choose a site (subscribing to every site's events needs an administrator)",
    ),
}


def render(
    table: dict[str, tuple[str, str]], code: str, language: str | None, params: dict[str, Any]
) -> str:
    zh, en = table.get(code, (code, code))
    template = en if (language or "").lower().startswith("en") else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


class FieldError:
    __slots__ = ("code", "params")

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params

    def message(self, language: str | None) -> str:
        return render(FIELD_MESSAGES, self.code, language, self.params)

    def __repr__(self) -> str:
        return f"FieldError({self.code!r}, {self.params!r})"


class EngineError(Exception):
    """A refused move. Nothing was changed when this is raised."""

    status = 400

    def __init__(
        self, code: str, *, fields: dict[str, FieldError] | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        self.fields = fields or {}

    def message(self, language: str | None) -> str:
        return render(MESSAGES, self.code, language, self.params)

    def details(self, language: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: v for k, v in self.params.items() if isinstance(v, str | int | float | bool | list)
        }
        for k, v in out.items():
            # Bilingual texts travel as {"zh", "en"} pairs; the caller gets its language.
            if isinstance(v, list) and v and isinstance(v[0], dict) and {"zh", "en"} <= set(v[0]):
                en = (language or "").lower().startswith("en")
                out[k] = [item["en" if en else "zh"] for item in v]
        if self.fields:
            out["fields"] = {k: e.message(language) for k, e in self.fields.items()}
        return out

    def __str__(self) -> str:
        return self.message("en")


class Forbidden(EngineError):
    status = 403


class NotFound(EngineError):
    status = 404


class Stale(EngineError):
    status = 409


class Conflict(EngineError):
    status = 409


class Unauthorized(EngineError):
    status = 401


class Unprocessable(EngineError):
    status = 422
