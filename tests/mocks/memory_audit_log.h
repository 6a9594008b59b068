// recorder::AuditLog in memory, for hermetic tests: records are kept as JSON objects in append
// order; appends can be made to fail (the log is then unhealthy, as the real one is after a
// failed write) until heal() is called.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "recorder/audit_log.h"

namespace sqlguard::test_support {

class MemoryAuditLog final : public recorder::AuditLog {
 public:
  /// Called before each append; returning false fails that append (and makes the log unhealthy).
  std::function<bool(const nlohmann::json& event)> accept;

  common::Result<recorder::AppendReceipt> append(const nlohmann::json& event) override {
    std::lock_guard lock(mu_);
    if (!healthy_)
      return common::fail(common::ErrorCode::kAuditFailure, "audit log failed earlier: " + reason_);
    if (accept && !accept(event)) {
      healthy_ = false;
      reason_ = "injected write failure";
      return common::fail(common::ErrorCode::kAuditFailure, reason_);
    }
    records_.push_back(event);
    recorder::AppendReceipt r;
    r.seq = records_.size() - 1;
    return r;
  }
  bool healthy() const override {
    std::lock_guard lock(mu_);
    return healthy_;
  }
  std::string reason() const override {
    std::lock_guard lock(mu_);
    return reason_;
  }
  common::Result<void> checkpoint() override { return {}; }
  void note_refusal() override {
    std::lock_guard lock(mu_);
    ++refusals_;
  }
  uint64_t size() const override {
    std::lock_guard lock(mu_);
    return records_.size();
  }

  /// The log resumes (as after the operator fixed the disk).
  void heal() {
    std::lock_guard lock(mu_);
    healthy_ = true;
    reason_.clear();
    accept = nullptr;
  }
  std::vector<nlohmann::json> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  /// Records of `type` ("call.intent", "call.outcome", ...) in order.
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::lock_guard lock(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& r : records_) {
      if (r.value("type", "") == type) out.push_back(r);
    }
    return out;
  }
  int refusals() const {
    std::lock_guard lock(mu_);
    return refusals_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<nlohmann::json> records_;
  bool healthy_ = true;
  std::string reason_;
  int refusals_ = 0;
};

}  // namespace sqlguard::test_support
