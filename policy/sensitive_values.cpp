#include "policy/sensitive_values.h"

#include <re2/re2.h>

#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/text.h"
#include "policy/value_detectors.h"

namespace sqlguard::policy {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!digit(c)) return false;
  }
  return true;
}

int number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

std::string without(std::string_view s, std::string_view separators) {
  std::string out;
  for (char c : s) {
    if (separators.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

struct NameRule {
  SensitiveKind kind;
  const char* pattern;  // RE2 over the lower-cased column name
};

// Column names that suggest a kind. Word parts are separated by '_' (or nothing, for the
// common compounds), so `email`, `contact_email`, `EmailAddress` and `e_mail` all match.
constexpr std::array<NameRule, 8> kNameRules = {{
    {SensitiveKind::kEmail, R"((^|_)e_?mail|email)"},
    {SensitiveKind::kCard, R"(credit_?card|card_?(no|num|number)($|_)|(^|_)(pan|ccn|cc_?num(ber)?)($|_))"},
    {SensitiveKind::kIban, R"(iban|bank_?account|account_?(no|num|number)($|_))"},
    {SensitiveKind::kPhone, R"(phone|mobile|msisdn|(^|_)(tel|telephone|fax|cell)($|_))"},
    {SensitiveKind::kNationalId,
     R"((^|_)(ssn|sin|tin|bsn|dni|nie|nir|nino|personnummer|passport(_?(no|num|number))?)($|_)|social_?security|national_?id|tax_?id)"},
    {SensitiveKind::kPasswordHash, R"(passw(or)?d|(^|_)(pwd|passwd|pass_?hash)($|_))"},
    {SensitiveKind::kSecret,
     R"(secret|token|api_?key|private_?key|access_?key|(^|_)credentials?($|_)|auth_?key|signing_?key)"},
    {SensitiveKind::kBirthDate, R"(birth|(^|_)dob($|_)|birthday)"},
}};

bool has_value_check(SensitiveKind k) {
  return k == SensitiveKind::kEmail || k == SensitiveKind::kCard || k == SensitiveKind::kIban ||
         k == SensitiveKind::kPhone || k == SensitiveKind::kNationalId;
}

std::string_view plural(SensitiveKind k) {
  switch (k) {
    case SensitiveKind::kEmail: return "e-mail addresses";
    case SensitiveKind::kCard: return "valid payment card numbers (Luhn)";
    case SensitiveKind::kIban: return "valid IBANs";
    case SensitiveKind::kPhone: return "phone numbers";
    case SensitiveKind::kNationalId: return "valid national identifiers";
    case SensitiveKind::kSecret: return "secrets (keys or tokens of a known issuer)";
    case SensitiveKind::kPasswordHash: return "password hashes";
    case SensitiveKind::kBirthDate: return "dates of birth";
  }
  return "";
}

std::string_view singular_column(SensitiveKind k) {
  switch (k) {
    case SensitiveKind::kEmail: return "an e-mail";
    case SensitiveKind::kCard: return "a payment card";
    case SensitiveKind::kIban: return "an IBAN";
    case SensitiveKind::kPhone: return "a phone";
    case SensitiveKind::kNationalId: return "a national identifier";
    case SensitiveKind::kSecret: return "a secret";
    case SensitiveKind::kPasswordHash: return "a password";
    case SensitiveKind::kBirthDate: return "a date-of-birth";
  }
  return "";
}

std::string lower_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    // camelCase boundary: EmailAddress -> email_address
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 &&
        std::islower(static_cast<unsigned char>(name[i - 1])))
      out.push_back('_');
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string_view to_string(SensitiveKind kind) {
  switch (kind) {
    case SensitiveKind::kEmail: return "email";
    case SensitiveKind::kCard: return "card";
    case SensitiveKind::kIban: return "iban";
    case SensitiveKind::kPhone: return "phone";
    case SensitiveKind::kNationalId: return "national_id";
    case SensitiveKind::kSecret: return "secret";
    case SensitiveKind::kPasswordHash: return "password_hash";
    case SensitiveKind::kBirthDate: return "birth_date";
  }
  return "";
}

bool us_ssn_valid(std::string_view text) {
  if (text.size() != 11 || text[3] != '-' || text[6] != '-') return false;
  const auto area = text.substr(0, 3), group = text.substr(4, 2), serial = text.substr(7, 4);
  if (!all_digits(area) || !all_digits(group) || !all_digits(serial)) return false;
  const int a = number(area);
  return a != 0 && a != 666 && a < 900 && number(group) != 0 && number(serial) != 0;
}

bool nl_bsn_valid(std::string_view text) {
  const std::string d = without(text, ".- ");
  if (d.size() != 9 || !all_digits(d) || d == "000000000") return false;
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (9 - i) * (d[static_cast<std::size_t>(i)] - '0');
  sum -= d[8] - '0';
  return sum % 11 == 0;
}

bool es_dni_valid(std::string_view text) {
  static constexpr std::string_view kLetters = "TRWAGMYFPDXBNJZSQVHLCKE";
  std::string d = without(text, "- ");
  if (d.size() != 9) return false;
  for (auto& c : d) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (d[0] == 'X' || d[0] == 'Y' || d[0] == 'Z') d[0] = static_cast<char>('0' + (d[0] - 'X'));
  const std::string_view digits = std::string_view(d).substr(0, 8);
  if (!all_digits(digits)) return false;
  return d[8] == kLetters[static_cast<std::size_t>(std::stol(std::string(digits)) % 23)];
}

bool fr_nir_valid(std::string_view text) {
  std::string d = without(text, " ");
  if (d.size() != 15) return false;
  for (auto& c : d) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (d[0] != '1' && d[0] != '2') return false;
  // Corsica: 2A counts as 19, 2B as 18 in the key computation (INSEE).
  long long adjust = 0;
  if (d[5] == 'A' || d[5] == 'B') {
    adjust = d[5] == 'A' ? 1000000 : 2000000;
    d[5] = '0';
  }
  if (!all_digits(d)) return false;
  const long long body = std::stoll(d.substr(0, 13)) - adjust;
  const int key = number(std::string_view(d).substr(13, 2));
  const int month = number(std::string_view(d).substr(3, 2));
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month == 99)) return false;
  return key >= 1 && key <= 97 && key == 97 - static_cast<int>(body % 97);
}

bool se_personnummer_valid(std::string_view text) {
  std::string d = without(text, "-+");
  if (d.size() == 12) d = d.substr(2);
  if (d.size() != 10 || !all_digits(d)) return false;
  // Only the shapes people write: 10 or 12 digits with the separator before the last four.
  if (text.size() == 11 && text[6] != '-' && text[6] != '+') return false;
  if (text.size() == 13 && text[8] != '-' && text[8] != '+') return false;
  if (text.size() != 10 && text.size() != 11 && text.size() != 12 && text.size() != 13) return false;
  const int month = number(std::string_view(d).substr(2, 2));
  const int day = number(std::string_view(d).substr(4, 2));
  if (month < 1 || month > 12 || !((day >= 1 && day <= 31) || (day >= 61 && day <= 91))) return false;
  return luhn_valid(d);
}

bool national_id_valid(std::string_view text) {
  text = common::trim_whitespace(text);
  return us_ssn_valid(text) || nl_bsn_valid(text) || es_dni_valid(text) || fr_nir_valid(text) ||
         se_personnummer_valid(text);
}

bool secret_shaped(std::string_view text) {
  text = common::trim_whitespace(text);
  static const re2::RE2 prefixed(
      R"((?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}|)"
      R"(xox[abposr]-[A-Za-z0-9-]{10,}|(?:sk|rk)_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_\-]{35})");
  if (re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), prefixed)) return true;
  if (text.starts_with("-----BEGIN ") && text.find("PRIVATE KEY-----") != std::string_view::npos) return true;
  // A JWT: header.payload.signature, the header a JSON object naming its algorithm.
  static const re2::RE2 jwt(R"((eyJ[A-Za-z0-9_\-]+)\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)");
  std::string header;
  if (re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), jwt, &header)) {
    auto decoded = common::base64url_decode(header);
    if (!decoded) return false;
    auto json = nlohmann::json::parse(*decoded, nullptr, false);
    return json.is_object() && json.contains("alg");
  }
  return false;
}

bool password_hash_shaped(std::string_view text) {
  text = common::trim_whitespace(text);
  static const re2::RE2 re(
      R"(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$[^\s]{20,}|\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}|\*[0-9A-Fa-f]{40})");
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), re);
}

ColumnClassifier::ColumnClassifier() = default;
ColumnClassifier::~ColumnClassifier() = default;

common::Result<std::unique_ptr<ColumnClassifier>> ColumnClassifier::create() {
  std::unique_ptr<ColumnClassifier> c(new ColumnClassifier());
  auto make = [](const char* kind) {
    ValueDetector d;
    d.id = kind;
    d.kind = kind;
    d.method = MaskingMethod::kRedact;
    return CompiledDetector::create(d, nullptr);
  };
  auto email = make("email"), card = make("card"), iban = make("iban"), phone = make("phone");
  for (auto* r : {&email, &card, &iban, &phone}) {
    if (!*r) return std::unexpected(common::prefixed("column classifier: ", r->error()));
  }
  c->email_ = std::move(*email);
  c->card_ = std::move(*card);
  c->iban_ = std::move(*iban);
  c->phone_ = std::move(*phone);
  for (const auto& rule : kNameRules) {
    auto re = std::make_unique<re2::RE2>(rule.pattern);
    if (!re->ok())
      return common::fail(common::ErrorCode::kInternal, std::string("column name pattern: ") + re->error());
    c->names_.push_back(std::move(re));
  }
  return c;
}

std::optional<SensitiveKind> ColumnClassifier::value_kind(std::string_view value) const {
  value = common::trim_whitespace(value);
  if (value.empty() || value.size() > 4096) return std::nullopt;
  if (email_->matches_whole(value)) return SensitiveKind::kEmail;
  if (iban_->matches_whole(value)) return SensitiveKind::kIban;
  if (card_->matches_whole(value)) return SensitiveKind::kCard;
  if (national_id_valid(value)) return SensitiveKind::kNationalId;
  if (password_hash_shaped(value)) return SensitiveKind::kPasswordHash;
  if (secret_shaped(value)) return SensitiveKind::kSecret;
  if (phone_->matches_whole(value)) return SensitiveKind::kPhone;
  return std::nullopt;
}

ColumnVerdict ColumnClassifier::classify(std::string_view column,
                                         const std::vector<std::string>& sample) const {
  ColumnVerdict verdict;
  std::array<std::size_t, 8> counts{};
  std::size_t sampled = 0;
  for (const auto& v : sample) {
    if (common::trim_whitespace(v).empty()) continue;
    ++sampled;
    if (auto k = value_kind(v)) ++counts[static_cast<std::size_t>(*k)];
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < counts.size(); ++k) {
    if (counts[k] > counts[best]) best = k;
  }
  const auto best_kind = static_cast<SensitiveKind>(best);
  const std::size_t best_count = counts[best];
  auto of = [&](std::size_t matched, SensitiveKind k) {
    return std::to_string(matched) + " of " + std::to_string(sampled) + " sampled values are " +
           std::string(plural(k));
  };
  if (sampled > 0 && best_count * 2 >= sampled) {
    verdict.mask = ColumnFinding{best_kind, false, sampled, best_count, of(best_count, best_kind)};
    return verdict;
  }
  std::optional<SensitiveKind> named;
  const std::string lowered = lower_name(column);
  for (std::size_t i = 0; i < kNameRules.size(); ++i) {
    if (re2::RE2::PartialMatch(lowered, *names_[i])) {
      named = kNameRules[i].kind;
      break;
    }
  }
  if (named) {
    const std::size_t matched = counts[static_cast<std::size_t>(*named)];
    if (!has_value_check(*named) || sampled < 5) {
      std::string evidence = "named like " + std::string(singular_column(*named)) + " column";
      evidence += sampled == 0 ? " (no values sampled)" : " (" + of(matched, *named) + ")";
      verdict.mask = ColumnFinding{*named, true, sampled, matched, evidence};
      return verdict;
    }
    verdict.review = "named like " + std::string(singular_column(*named)) + " column, but only " +
                     of(matched, *named) + ": not masked; mask it by hand if the name is right";
    return verdict;
  }
  if (best_count > 0) {
    verdict.review = of(best_count, best_kind) +
                     ": not masked as a column; the value detectors mask such values in any column";
  }
  return verdict;
}

}  // namespace sqlguard::policy
