// The shapes of the lines a writable file of the tree takes, so that a line
// not yet ended (its writer split it across write() calls) can be refused at
// once when no ending could make it valid: `printf bogus > limits` fails at
// its write(), where a shell reports it, not at close(), which shells ignore.
//
// The check is of form only: whether a value is in range, or a key exists,
// is the file's write handler's to say when the line is complete.
#pragma once

#include <span>
#include <string_view>

namespace ostor::fs {

// What may follow a line's head (blanks may also end any line).
enum class LineTail {
    Nothing,  // "gen", "enabled"
    Integer,  // digits: "bandwidth:out=100", a quota size
    Decimal,  // digits with at most one '.': "ops:get=2.5"
    Text,     // anything: "revoke <access key id>"
};

struct LineForm {
    std::string_view head;
    LineTail tail;
};

// Whether some ending makes `partial` (the start of a line, without its
// newline) a line of one of `forms`, as the tree reads lines: blanks around
// a line are ignored. An empty `forms` takes anything.
bool may_begin_line(std::span<const LineForm> forms, std::string_view partial);

}  // namespace ostor::fs
