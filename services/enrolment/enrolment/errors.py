"""The enrolment service's errors: stable codes, Chinese and English titles."""

from shared.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from shared.i18n import Text


class CycleNotFound(NotFound):
    code = "enrolment.cycle.not_found"
    title = Text("招生周期不存在", "Cycle not found")


class OfferingNotFound(NotFound):
    code = "enrolment.offering.not_found"
    title = Text("学校招生计划不存在", "Offering not found")


class CatchmentUnitNotFound(NotFound):
    code = "enrolment.catchment_unit.not_found"
    title = Text("招生地段不存在", "Catchment unit not found")


class ChildNotFound(NotFound):
    code = "enrolment.child.not_found"
    title = Text("儿童信息不存在", "Child not found")


class DocumentNotFound(NotFound):
    code = "enrolment.document.not_found"
    title = Text("材料不存在", "Document not found")


class ApplicationNotFound(NotFound):
    code = "enrolment.application.not_found"
    title = Text("报名申请不存在", "Application not found")


class CycleConflict(Conflict):
    code = "enrolment.cycle.conflict"
    title = Text(
        "招生周期已存在或状态不允许此操作", "The cycle exists already or its state forbids this"
    )


class CycleChanged(Conflict):
    code = "enrolment.cycle.changed"
    title = Text(
        "招生周期或其学校刚刚调整，请重新提交",
        "The cycle or its schools just changed; submit again",
    )


class OfferingConflict(Conflict):
    code = "enrolment.offering.conflict"
    title = Text("该校在本周期已有招生计划", "This school already has an offering in the cycle")


class ChildConflict(Conflict):
    code = "enrolment.child.duplicate"
    title = Text("该儿童已添加", "This child has been added already")


class FactsLocked(Conflict):
    code = "enrolment.child.locked"
    title = Text(
        "报名审核期间不能修改信息；被退回后可修改",
        "Information cannot change while an application is under review; it can once returned",
    )


class DuplicateApplication(Conflict):
    code = "enrolment.application.duplicate"
    title = Text(
        "该儿童在本招生周期已有报名", "This child already has an application in this cycle"
    )

    @classmethod
    def for_child(cls) -> "DuplicateApplication":
        message = Text(
            "同一儿童在同一招生周期只能报名一次（以身份证号为准）",
            "A child may apply once per cycle (by ID number)",
        )
        return cls(
            message,
            errors=[FieldError(field="body.child_id", message=str(message), type="duplicate")],
        )


class ChildLimitReached(Conflict):
    code = "enrolment.child.limit"
    title = Text("本账号添加的儿童已达上限", "This account has added as many children as it may")


class ReviewReadOnly(Forbidden):
    code = "enrolment.review.read_only"
    title = Text(
        "该报名由区县教育局或就读学校审核，此处只能查看",
        "This application is decided by its district (or the school it is registered at); "
        "you may only read it",
    )


class DuplicateUnresolved(Conflict):
    code = "enrolment.review.duplicate_unresolved"
    title = Text(
        "同一儿童有多个账号的报名，请先在并列比对中确定保留哪一份",
        "Several accounts applied for this child: resolve the duplicate side by side first",
    )


class InvalidTransition(Conflict):
    code = "enrolment.application.invalid_transition"
    title = Text("当前状态不允许此操作", "The application's status does not allow this")


class WindowClosed(InvalidInput):
    code = "enrolment.application.window_closed"
    title = Text("不在报名开放时间内", "Registration is not open now")
    status = 422


class MissingDocuments(InvalidInput):
    code = "enrolment.application.missing_documents"
    title = Text("缺少所需材料", "Required documents are missing")


class NotEligible(InvalidInput):
    code = "enrolment.application.not_eligible"
    title = Text("不符合报名条件", "Not eligible to apply")


class PersonalDataForbidden(Forbidden):
    code = "enrolment.personal_data.forbidden"
    title = Text(
        "查看完整证件号码需要单独授权", "Reading full ID numbers needs a separate permission"
    )


class LotteryNotFound(NotFound):
    code = "enrolment.lottery.not_found"
    title = Text("本招生周期尚未提交抽签种子承诺", "No lottery commitment for this cycle yet")


class LotteryConflict(Conflict):
    code = "enrolment.lottery.conflict"
    title = Text(
        "抽签种子已提交承诺、尚未提交或尚未抽签",
        "The lottery seed is already committed, not committed yet, or not drawn yet",
    )


class AdmissionRunNotFound(NotFound):
    code = "enrolment.admission_run.not_found"
    title = Text("录取任务不存在", "Admission run not found")


class AdmissionRunConflict(Conflict):
    code = "enrolment.admission_run.conflict"
    title = Text("录取任务的状态不允许此操作", "The admission run's state does not allow this")


class SchoolNotInRun(NotFound):
    code = "enrolment.admission_run.school_not_found"
    title = Text("该学校不在本次录取中", "The school is not part of this run")


class ResultsNotPublished(NotFound):
    code = "enrolment.results.not_published"
    title = Text("录取结果尚未公布", "Results have not been published")


class OfferNotFound(NotFound):
    code = "enrolment.offer.not_found"
    title = Text("没有待确认的学位", "No offer to respond to")


class OfferClosed(Conflict):
    code = "enrolment.offer.closed"
    title = Text("学位确认时间已过或学位已处理", "The offer has closed or was answered already")
