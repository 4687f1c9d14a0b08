#!/usr/bin/env bash
# thread-tags.sh - every public function in an rt/ or server/ header says
# which thread may call it, in one greppable form, on its own line in the
# comment right above the declaration:
#
#     /* thread: process */            the JACK process callback
#     /* thread: main */               a binary's main thread (start, stop)
#     /* thread: control */            the server's control thread
#     /* thread: worker */             a server worker thread
#     /* thread: http | ws | ... */    a front end's own thread
#     /* thread: any */                any thread (pure, or locked inside)
#
# Several threads are written "thread: main, control".  Prints each
# untagged declaration as file:line and exits 1 when there is one.
set -uo pipefail
cd "$(dirname "$0")/../.."

mapfile -t headers < <(find rt server -name '*.h' | sort)
awk '
FNR == 1 { tagged = 0; incomment = 0; lastcomment = -10 }
# comments: remember whether the block that ends here names a thread
/^[ \t]*\/\*/ { incomment = 1; hastag = 0 }
incomment && /\/\* thread: [a-z]+(, [a-z]+)* \*\// { hastag = 1 }
incomment && /\*\// { incomment = 0; lastcomment = FNR; tagged = hastag; next }
incomment { next }
/^[ \t]*$/ { next }
# a declaration or definition of a function at file scope
/^[A-Za-z_]/ && !/^(typedef|struct [a-z_]+ \{|enum|union|extern|#|_Static_assert)/ &&
    /[A-Za-z0-9_]+\(/ && !/^[A-Z_]+\(/ {
	if (!(tagged && lastcomment == FNR - 1)) {
		print FILENAME ":" FNR ": no thread tag: " $0
		bad++
	}
}
END { exit bad > 0 }
' "${headers[@]}"
rc=$?
[ "$rc" -eq 0 ] && echo "thread-tags: every public function in ${#headers[@]} headers is tagged"
exit "$rc"
