#include "monitor/policy/rule.h"

namespace imawatch::policy {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kMeasure:
      return "measure";
    case Action::kDontMeasure:
      return "dont_measure";
    case Action::kAppraise:
      return "appraise";
    case Action::kDontAppraise:
      return "dont_appraise";
    case Action::kAudit:
      return "audit";
    case Action::kHash:
      return "hash";
    case Action::kDontHash:
      return "dont_hash";
    case Action::kUnknown:
      break;
  }
  return "";
}

ActionClass ClassOf(Action action) {
  switch (action) {
    case Action::kMeasure:
    case Action::kDontMeasure:
      return ActionClass::kMeasure;
    case Action::kAppraise:
    case Action::kDontAppraise:
      return ActionClass::kAppraise;
    case Action::kAudit:
      return ActionClass::kAudit;
    case Action::kHash:
    case Action::kDontHash:
      return ActionClass::kHash;
    case Action::kUnknown:
      break;
  }
  return ActionClass::kNone;
}

bool IsDont(Action action) {
  return action == Action::kDontMeasure || action == Action::kDontAppraise || action == Action::kDontHash;
}

std::string_view FuncName(Func func) {
  switch (func) {
    case Func::kFileCheck:
      return "FILE_CHECK";
    case Func::kMmapCheck:
      return "MMAP_CHECK";
    case Func::kMmapCheckReqprot:
      return "MMAP_CHECK_REQPROT";
    case Func::kBprmCheck:
      return "BPRM_CHECK";
    case Func::kCredsCheck:
      return "CREDS_CHECK";
    case Func::kModuleCheck:
      return "MODULE_CHECK";
    case Func::kFirmwareCheck:
      return "FIRMWARE_CHECK";
    case Func::kKexecKernelCheck:
      return "KEXEC_KERNEL_CHECK";
    case Func::kKexecInitramfsCheck:
      return "KEXEC_INITRAMFS_CHECK";
    case Func::kPolicyCheck:
      return "POLICY_CHECK";
    case Func::kKexecCmdline:
      return "KEXEC_CMDLINE";
    case Func::kKeyCheck:
      return "KEY_CHECK";
    case Func::kCriticalData:
      return "CRITICAL_DATA";
    case Func::kSetxattrCheck:
      return "SETXATTR_CHECK";
    case Func::kNone:
      break;
  }
  return "";
}

bool IsKernelReadHook(Func func) {
  return func == Func::kModuleCheck || func == Func::kFirmwareCheck || func == Func::kKexecKernelCheck ||
         func == Func::kKexecInitramfsCheck || func == Func::kPolicyCheck;
}

bool IsBufferHook(Func func) {
  return func == Func::kKexecCmdline || func == Func::kKeyCheck || func == Func::kCriticalData;
}

std::string_view MaskName(uint32_t mask_bit) {
  switch (mask_bit) {
    case kMayExec:
      return "MAY_EXEC";
    case kMayWrite:
      return "MAY_WRITE";
    case kMayRead:
      return "MAY_READ";
    case kMayAppend:
      return "MAY_APPEND";
    default:
      break;
  }
  return "";
}

std::string_view LsmKeyName(LsmKey key) {
  switch (key) {
    case LsmKey::kObjUser:
      return "obj_user";
    case LsmKey::kObjRole:
      return "obj_role";
    case LsmKey::kObjType:
      return "obj_type";
    case LsmKey::kSubjUser:
      return "subj_user";
    case LsmKey::kSubjRole:
      return "subj_role";
    case LsmKey::kSubjType:
      return "subj_type";
  }
  return "";
}

bool Rule::HasLsmCondition() const {
  for (const auto& condition : lsm) {
    if (condition) return true;
  }
  return false;
}

const Token* Rule::FirstToken(TokenKind kind) const {
  for (const auto& token : tokens) {
    if (token.kind == kind) return &token;
  }
  return nullptr;
}

}  // namespace imawatch::policy
