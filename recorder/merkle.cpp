#include "recorder/merkle.h"

#include <bit>
#include <cstring>

namespace sqlguard::recorder {
namespace {

// Largest power of two strictly smaller than n (n >= 2).
uint64_t split_point(uint64_t n) { return std::bit_floor(n - 1); }

Hash mth(std::span<const Hash> d) {
  if (d.empty()) return empty_root();
  if (d.size() == 1) return d[0];
  uint64_t k = split_point(d.size());
  return node_hash(mth(d.subspan(0, k)), mth(d.subspan(k)));
}

void path(uint64_t m, std::span<const Hash> d, std::vector<Hash>& out) {
  if (d.size() <= 1) return;
  uint64_t k = split_point(d.size());
  if (m < k) {
    path(m, d.subspan(0, k), out);
    out.push_back(mth(d.subspan(k)));
  } else {
    path(m - k, d.subspan(k), out);
    out.push_back(mth(d.subspan(0, k)));
  }
}

void subproof(uint64_t m, std::span<const Hash> d, bool whole, std::vector<Hash>& out) {
  uint64_t n = d.size();
  if (m == n) {
    if (!whole) out.push_back(mth(d));
    return;
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, d.subspan(0, k), whole, out);
    out.push_back(mth(d.subspan(k)));
  } else {
    subproof(m - k, d.subspan(k), false, out);
    out.push_back(mth(d.subspan(0, k)));
  }
}

}  // namespace

Hash leaf_hash(std::string_view data) { return sha256_prefixed(0x00, data); }

Hash node_hash(const Hash& left, const Hash& right) {
  char buf[64];
  std::memcpy(buf, left.data(), 32);
  std::memcpy(buf + 32, right.data(), 32);
  return sha256_prefixed(0x01, std::string_view(buf, sizeof buf));
}

Hash empty_root() {
  static const Hash root = sha256("");
  return root;
}

Hash merkle_root(std::span<const Hash> leaf_hashes) { return mth(leaf_hashes); }

common::Result<std::vector<Hash>> inclusion_proof(uint64_t index, std::span<const Hash> leaf_hashes) {
  if (index >= leaf_hashes.size())
    return common::fail(common::ErrorCode::kInvalidInput, "inclusion proof: index " + std::to_string(index) +
                                                              " is not below tree size " +
                                                              std::to_string(leaf_hashes.size()));
  std::vector<Hash> out;
  path(index, leaf_hashes, out);
  return out;
}

common::Result<std::vector<Hash>> consistency_proof(uint64_t old_size, std::span<const Hash> leaf_hashes) {
  if (old_size == 0 || old_size > leaf_hashes.size())
    return common::fail(common::ErrorCode::kInvalidInput, "consistency proof: old size " +
                                                              std::to_string(old_size) + " must be in 1.." +
                                                              std::to_string(leaf_hashes.size()));
  std::vector<Hash> out;
  subproof(old_size, leaf_hashes, true, out);
  return out;
}

common::Result<void> verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf,
                                      std::span<const Hash> proof, const Hash& root) {
  if (index >= size)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "inclusion proof: index is not below the tree size");
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return common::fail(common::ErrorCode::kInvalidInput, "inclusion proof: too many hashes");
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return common::fail(common::ErrorCode::kInvalidInput, "inclusion proof: too few hashes");
  if (r != root)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "inclusion proof: computed root does not match the checkpoint root");
  return {};
}

common::Result<void> verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                                        const Hash& new_root, std::span<const Hash> proof) {
  if (new_size < old_size)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "consistency proof: new size is smaller than old size");
  if (old_size == new_size) {
    if (!proof.empty())
      return common::fail(common::ErrorCode::kInvalidInput,
                          "consistency proof: must be empty for equal sizes");
    if (old_root != new_root)
      return common::fail(common::ErrorCode::kInvalidInput,
                          "consistency proof: same size but different roots (fork)");
    return {};
  }
  if (old_size == 0) return {};  // every tree extends the empty tree
  if (proof.empty()) return common::fail(common::ErrorCode::kInvalidInput, "consistency proof: empty proof");
  std::vector<Hash> p(proof.begin(), proof.end());
  if (std::has_single_bit(old_size)) p.insert(p.begin(), old_root);
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = p[0], sr = p[0];
  for (size_t i = 1; i < p.size(); ++i) {
    const Hash& c = p[i];
    if (sn == 0) return common::fail(common::ErrorCode::kInvalidInput, "consistency proof: too many hashes");
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return common::fail(common::ErrorCode::kInvalidInput, "consistency proof: too few hashes");
  if (fr != old_root)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "consistency proof: does not reproduce the old root");
  if (sr != new_root)
    return common::fail(common::ErrorCode::kInvalidInput,
                        "consistency proof: does not reproduce the new root");
  return {};
}

void CompactRange::append(const Hash& leaf) {
  Hash h = leaf;
  // Merge equal-size subtrees: one merge per trailing one bit of the old size.
  for (uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    h = node_hash(stack_.back(), h);
    stack_.pop_back();
  }
  stack_.push_back(h);
  ++size_;
}

Hash CompactRange::root() const {
  if (stack_.empty()) return empty_root();
  Hash h = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) h = node_hash(stack_[i], h);
  return h;
}

}  // namespace sqlguard::recorder
