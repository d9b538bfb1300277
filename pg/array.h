// PostgreSQL array literals in the text format, for sending many rows in one parameter
// (`INSERT ... SELECT * FROM unnest($1::text[], $2::bigint[])`) and reading bigint[] columns.
//
//   std::string ids = pg::TextArray({"a", "b\"c"});       // {"a","b\"c"}
//   std::string times = pg::Int64ArrayLiteral({1, 2, 3});   // {1,2,3}
//   absl::StatusOr<std::vector<int64_t>> v = pg::ParseInt64Array("{1,2,3}");
//
// Stateless; thread-safe.
#ifndef GAVEL_PG_ARRAY_H_
#define GAVEL_PG_ARRAY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gavel::pg {

// A one-dimensional array of the elements' texts, each quoted (so any text, including "", commas
// and braces, round-trips). With `null_if_exactly_NULL`, an element "NULL" is SQL NULL instead.
// Cast it to the element type in SQL: $1::bigint[], $1::bytea[] (elements from EncodeBytea).
std::string TextArray(absl::Span<const std::string> elements, bool null_if_exactly_NULL = false);
std::string Int64ArrayLiteral(absl::Span<const int64_t> values);
// Parses a bigint[] value as PostgreSQL prints it ("{}", "{1,-2,3}"). kInvalidArgument for
// anything else (NULL elements, nesting, non-integers).
absl::StatusOr<std::vector<int64_t>> ParseInt64Array(absl::string_view text);

}  // namespace gavel::pg

#endif  // GAVEL_PG_ARRAY_H_
