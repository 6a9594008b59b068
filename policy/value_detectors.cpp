#include "policy/value_detectors.h"

#include <re2/re2.h>

#include <utility>

namespace sqlguard::policy {

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool doubled = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    const char c = digits[i];
    if (c < '0' || c > '9') return false;
    int d = c - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!upper(iban[0]) || !upper(iban[1]) || !digit(iban[2]) || !digit(iban[3])) return false;
  // ISO 7064 MOD 97-10 over the rearranged string (first four characters moved to the end,
  // letters as two-digit numbers A=10 ... Z=35), computed piecewise.
  int remainder = 0;
  auto feed = [&remainder](int value) {
    if (value >= 10)
      remainder = (remainder * 100 + value) % 97;
    else
      remainder = (remainder * 10 + value) % 97;
  };
  for (std::size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];
    if (digit(c))
      feed(c - '0');
    else if (upper(c))
      feed(c - 'A' + 10);
    else
      return false;
  }
  return remainder == 1;
}

namespace {

std::string strip_separators(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '-') out.push_back(c);
  }
  return out;
}

}  // namespace

CompiledDetector::CompiledDetector(ValueDetector config, Kind kind, std::unique_ptr<re2::RE2> re,
                                   const KeyedHasher* hasher)
    : config_(std::move(config)),
      kind_(kind),
      re_(std::move(re)),
      masker_(MaskerOptions{.method = config_.method, .token = config_.token}, hasher) {}

CompiledDetector::~CompiledDetector() = default;

common::Result<std::unique_ptr<CompiledDetector>> CompiledDetector::create(const ValueDetector& detector,
                                                                           const KeyedHasher* hasher) {
  const std::string where = "masking detector '" + detector.id + "'";
  if (detector.id.empty())
    return common::fail(common::ErrorCode::kInvalidInput, "masking detector without an id");
  Kind kind;
  std::string pattern;
  // Candidate patterns; the checks in accept() decide. Word boundaries keep us from cutting a
  // value out of a longer run of digits or letters.
  if (detector.kind == "email") {
    kind = Kind::kEmail;
    pattern =
        R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})";
  } else if (detector.kind == "card") {
    kind = Kind::kCard;
    pattern = R"(\b\d(?:[ \-]?\d){12,18}\b)";
  } else if (detector.kind == "iban") {
    kind = Kind::kIban;
    pattern = R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b)";
  } else if (detector.kind == "phone") {
    kind = Kind::kPhone;
    pattern =
        R"((?:\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,5}[ .\-]?\d{2,4}\b)|(?:(?:\(\d{3}\) ?|\b\d{3}[.\-])\d{3}[.\-]\d{4}\b))";
  } else if (detector.kind == "pattern") {
    kind = Kind::kPattern;
    if (detector.pattern.empty())
      return common::fail(common::ErrorCode::kInvalidInput, where + ": kind pattern needs a pattern");
    pattern = detector.pattern;
  } else {
    return common::fail(
        common::ErrorCode::kInvalidInput,
        where + ": unknown kind '" + detector.kind + "' (expected email, card, iban, phone or pattern)");
  }
  if (detector.method == MaskingMethod::kHash && hasher == nullptr) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        where + ": method hash needs masking.hash_key_file");
  }
  if (detector.method == MaskingMethod::kPartial) {
    return common::fail(common::ErrorCode::kInvalidInput,
                        where + ": method partial is not supported for detectors");
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok())
    return common::fail(common::ErrorCode::kInvalidInput, where + ": bad pattern: " + re->error());
  return std::unique_ptr<CompiledDetector>(new CompiledDetector(detector, kind, std::move(re), hasher));
}

bool CompiledDetector::worth_scanning(std::string_view text) const {
  // Cheap pre-filters so the common cell (a name, a number, a date) skips the regex.
  switch (kind_) {
    case Kind::kEmail: return text.find('@') != std::string_view::npos;
    case Kind::kCard: {
      int digits = 0;
      for (char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
      return digits >= 13;
    }
    case Kind::kIban: {
      if (text.size() < 15) return false;
      int digits = 0;
      for (char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
      return digits >= 2;
    }
    case Kind::kPhone: {
      int digits = 0;
      for (char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
      return digits >= 8;
    }
    case Kind::kPattern: return true;
  }
  return true;
}

bool CompiledDetector::accept(std::string_view match) const {
  switch (kind_) {
    case Kind::kCard: {
      const std::string digits = strip_separators(match);
      return digits.size() >= 13 && digits.size() <= 19 && luhn_valid(digits);
    }
    case Kind::kIban: return iban_valid(strip_separators(match));
    case Kind::kPhone: {
      int digits = 0;
      for (char c : match) digits += (c >= '0' && c <= '9') ? 1 : 0;
      return digits >= 8 && digits <= 15;
    }
    case Kind::kEmail:
    case Kind::kPattern: return !match.empty();
  }
  return false;
}

bool CompiledDetector::matches_whole(std::string_view text) const {
  if (text.empty() || !worth_scanning(text)) return false;
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_) && accept(text);
}

std::size_t CompiledDetector::scrub(std::string& text, bool* null_cell, bool* ok) const {
  if (!worth_scanning(text)) return 0;
  std::size_t hits = 0;
  std::string out;
  re2::StringPiece input(text);
  re2::StringPiece match;
  std::size_t copied = 0;  // bytes of `text` already copied to `out`
  std::size_t pos = 0;
  while (pos <= text.size() && re_->Match(input, pos, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
    const std::size_t begin = static_cast<std::size_t>(match.data() - text.data());
    const std::size_t end = begin + match.size();
    if (match.empty()) {  // zero-length match: step over one byte
      pos = begin + 1;
      continue;
    }
    if (accept(std::string_view(match.data(), match.size()))) {
      ++hits;
      out.append(text, copied, begin - copied);
      out += masker_.mask_text(std::string_view(match.data(), match.size()), false, ok);
      copied = end;
      pos = end;
    } else {
      // Not valid (e.g. Luhn fails): retry one character further, since a valid value may start
      // inside a longer invalid run.
      pos = begin + 1;
    }
  }
  if (hits == 0) return 0;
  if (config_.method == MaskingMethod::kNull && null_cell != nullptr) *null_cell = true;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
  return hits;
}

}  // namespace sqlguard::policy
