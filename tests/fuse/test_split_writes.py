"""Writers that split lines across write() calls: python's os.write of
pieces, `dd bs=1`, several printf into one redirection, tee. A line acts when
its newline is written, or at close (or fsync) when it has none, with close()
reporting its error; the start of a line no ending could make valid is
refused at its write(). `>` (O_TRUNC) still replaces and `>>` adds, a refused
write still changes nothing, and an open file keeps its own pieces."""

import errno
import os

import fuse_common
from fuse_common import NO_LIMITS, FuseTestCase

GET_3600 = NO_LIMITS.replace('ops:get=0.00', 'ops:get=3600.00')
GET_3600_OUT_100 = GET_3600.replace('bandwidth:out=0', 'bandwidth:out=100')
PUT_7 = NO_LIMITS.replace('ops:put=0.00', 'ops:put=7.00')
USER_QUOTA_1024 = "version: '1'\nsize: '1024'\ntype: 'user'\n"
MAX_UNENDED_LINE_BYTES = 4 * 1024
TRUNC = os.O_WRONLY | os.O_TRUNC
APPEND = os.O_WRONLY | os.O_APPEND


class SplitWritesCase(FuseTestCase):

    def open(self, path, flags):
        fd = os.open(os.path.join(self.mnt, path), flags)
        self.addCleanup(self.close_quietly, fd)
        return fd

    @staticmethod
    def close_quietly(fd):
        try:
            os.close(fd)
        except OSError:
            pass  # closed by the test, or its close already reported

    def write_all(self, fd, piece):
        data = piece.encode()
        self.assertEqual(os.write(fd, data), len(data), f'short write of {piece!r}')

    def write_pieces(self, path, pieces, flags=TRUNC):
        """Opens `path`, writes each piece with its own write(2), closes."""
        fd = self.open(path, flags)
        for piece in pieces:
            self.write_all(fd, piece)
        os.close(fd)

    def assert_refused(self, call, code, what):
        with self.assertRaises(OSError, msg=f'{what} succeeded') as cm:
            call()
        self.assertEqual(cm.exception.errno, code, f'{what}: {cm.exception}')

    def cli_limits(self, email):
        return self.cli('query-limits', '-e', email).stdout

    def user_with_limits(self, text=None):
        """A new user (its limits set to `text` when given); returns (email, limits path)."""
        email = self.new_user('split')
        path = f'users/{email}/limits'
        if text is not None:
            self.ok(self.heredoc(path, text))
        return email, path


class LimitsSplitTest(SplitWritesCase):

    def test_a_limit_line_split_across_two_os_writes_acts_at_its_newline(self):
        email, path = self.user_with_limits()
        self.write_pieces(path, ['ops:g', 'et=3600\n'])
        self.assertEqual(self.cat(path), GET_3600)
        self.assertEqual(self.cli_limits(email), GET_3600)

    def test_printf_of_a_line_in_two_pieces_into_one_redirection_sets_it(self):
        email, path = self.user_with_limits()
        self.ok(f"{{ printf 'ops:g'; printf 'et=3600\\n'; }} > {path}")
        self.assertEqual(self.cat(path), GET_3600)

    def test_a_command_run_between_the_pieces_of_a_line_does_not_end_it(self):
        # The child's copy of the descriptor is closed when it ends: a flush
        # from a process that did not write the line.
        _, path = self.user_with_limits()
        self.ok(f"{{ printf 'ops:g'; /bin/true; printf 'et=3600\\n'; }} > {path}")
        self.assertEqual(self.cat(path), GET_3600)

    def test_dd_bs_1_replaces_the_limits_with_the_lines_it_writes_byte_by_byte(self):
        email, path = self.user_with_limits('bandwidth:out=100\nops:put=3')
        self.ok(f"printf 'ops:get=3600\\nops:put=7\\n' | dd of={path} bs=1 status=none")
        expected = GET_3600.replace('ops:put=0.00', 'ops:put=7.00')
        self.assertEqual(self.cat(path), expected)
        self.assertEqual(self.cli_limits(email), expected)

    def test_dd_bs_1_appending_keeps_the_limits_in_force(self):
        _, path = self.user_with_limits('ops:get=3600')
        self.ok(f"printf 'bandwidth:out=100\\n' | dd of={path} bs=1 oflag=append conv=notrunc status=none")
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_tee_replaces_and_tee_a_adds(self):
        _, path = self.user_with_limits('ops:put=7')
        self.ok(f"printf 'ops:get=3600\\n' | tee {path} > /dev/null")
        self.assertEqual(self.cat(path), GET_3600)
        self.ok(f"printf 'bandwidth:out=100\\n' | tee -a {path} > /dev/null")
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_a_split_line_after_o_trunc_replaces_every_limit_in_force(self):
        _, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        self.write_pieces(path, ['ops:p', 'ut=7\n'])
        self.assertEqual(self.cat(path), PUT_7)

    def test_a_split_line_appended_keeps_the_limits_in_force(self):
        _, path = self.user_with_limits('ops:get=3600')
        self.write_pieces(path, ['bandwidth:o', 'ut=1', '00\n'], APPEND)
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_a_last_line_without_newline_acts_at_close(self):
        email, path = self.user_with_limits()
        fd = self.open(path, TRUNC)
        self.write_all(fd, 'ops:get=')
        self.write_all(fd, '3600')
        self.assertEqual(self.cat(path), NO_LIMITS, 'a line without its newline acted before close')
        os.close(fd)
        self.assertEqual(self.cat(path), GET_3600)
        self.assertEqual(self.cli_limits(email), GET_3600)

    def test_a_bad_last_line_without_newline_fails_at_close_and_changes_nothing(self):
        email, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        fd = self.open(path, TRUNC)
        self.write_all(fd, 'ops:put=7\n')
        self.write_all(fd, 'ops:get=0.001')  # a number, but below the smallest rate
        self.assert_refused(lambda: os.close(fd), errno.EINVAL, 'close() of a bad last line')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(email), GET_3600_OUT_100)

    def test_the_start_of_a_bad_line_is_refused_at_its_write_and_nothing_after_acts(self):
        email, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        fd = self.open(path, TRUNC)
        self.write_all(fd, 'ops:put=7\n')
        self.assert_refused(lambda: os.write(fd, b'bo'), errno.EINVAL, 'write of "bo"')
        self.assertEqual(self.cat(path), GET_3600_OUT_100, 'the line before the refused write still acts')
        self.assert_refused(lambda: os.write(fd, b'ops:delete=1\n'), errno.EINVAL, 'a write after a refused one')
        os.close(fd)
        self.assertEqual(self.cat(path), GET_3600_OUT_100)
        self.assertEqual(self.cli_limits(email), GET_3600_OUT_100)

    def test_dd_bs_1_of_a_bad_line_fails_with_invalid_argument_and_changes_nothing(self):
        _, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        self.fails(f"printf 'ops:put=7\\nops:gte=1\\n' | dd of={path} bs=1 status=none", 'Invalid argument')
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_printf_of_a_bad_word_without_newline_is_invalid_argument(self):
        # bash ignores what close() says: the start of the line must be refused at its write.
        _, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        for bad in ('bogus', 'ops:get=x', 'ops:get=1.2.3', 'bandwidth:out=1.5', 'ops:get =5'):
            with self.subTest(bad=bad):
                self.fails(f"printf '{bad}' > {path}", 'Invalid argument')
                self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_fsync_ends_a_line_not_yet_ended(self):
        _, path = self.user_with_limits()
        fd = self.open(path, TRUNC)
        self.write_all(fd, 'ops:get=36')
        self.write_all(fd, '00')
        os.fsync(fd)
        self.assertEqual(self.cat(path), GET_3600, 'fsync returned before the line acted')
        os.close(fd)
        self.assertEqual(self.cat(path), GET_3600)

    def test_two_opens_of_one_file_keep_their_own_pieces(self):
        _, path = self.user_with_limits()
        first, second = self.open(path, APPEND), self.open(path, APPEND)
        self.write_all(first, 'ops:g')
        self.write_all(second, 'bandwidth:o')
        self.write_all(first, 'et=3600\n')
        self.write_all(second, 'ut=100\n')
        os.close(first)
        os.close(second)
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_lines_written_by_several_processes_into_one_redirection_all_act(self):
        # Each process's exit closes its copy of the descriptor (a flush each).
        _, path = self.user_with_limits('ops:put=7')
        self.ok(f"{{ /usr/bin/printf 'ops:get=3600\\n'; /usr/bin/printf 'bandwidth:out=100\\n'; }} > {path}")
        self.assertEqual(self.cat(path), GET_3600_OUT_100)

    def test_ftruncate_after_lines_then_close_removes_the_limits(self):
        _, path = self.user_with_limits('ops:get=3600')
        fd = self.open(path, os.O_WRONLY)
        self.write_all(fd, 'ops:put=7\n')
        os.ftruncate(fd, 0)
        os.close(fd)
        self.assertEqual(self.cat(path), NO_LIMITS)

    def test_a_line_of_more_than_4_kib_without_newline_is_file_too_large_and_changes_nothing(self):
        _, path = self.user_with_limits('ops:get=3600\nbandwidth:out=100')
        fd = self.open(path, TRUNC)
        half = 'ops:get=' + '1' * (MAX_UNENDED_LINE_BYTES // 2 + 16)
        self.write_all(fd, half)
        self.assert_refused(lambda: os.write(fd, half[8:].encode()), errno.EFBIG, 'a second half of a long line')
        os.close(fd)
        self.assertEqual(self.cat(path), GET_3600_OUT_100)


class OtherFilesSplitTest(SplitWritesCase):

    def test_gen_split_across_writes_makes_one_key_pair(self):
        email = self.new_user('ksplit')
        self.write_pieces(f'users/{email}/keys', ['g', 'en\n'])
        self.assertEqual(len(self.keys_of(email)), 2)

    def test_revoke_split_across_writes_revokes_that_pair(self):
        email = self.new_user('ksplit')
        self.ok(f'echo gen > users/{email}/keys')
        (old_id, _), kept = self.keys_of(email)
        self.write_pieces(f'users/{email}/keys', ['rev', 'oke ' + old_id[:7], old_id[7:] + '\n'])
        self.assertEqual(self.keys_of(email), [kept])

    def test_a_third_pair_asked_without_newline_is_refused_by_close_and_keys_stay(self):
        email = self.new_user('ksplit')
        self.ok(f'echo gen > users/{email}/keys')
        before = self.cat(f'users/{email}/keys')
        fd = self.open(f'users/{email}/keys', TRUNC)
        self.write_all(fd, 'gen')
        self.assert_refused(lambda: os.close(fd), errno.EDQUOT, 'close() after a third "gen"')
        self.assertEqual(self.cat(f'users/{email}/keys'), before)

    def test_state_split_across_writes_disables_the_user(self):
        email = self.new_user('ssplit')
        self.write_pieces(f'users/{email}/state', ['dis', 'abled\n'])
        self.assertEqual(self.cat(f'users/{email}/state'), 'disabled\n')
        self.ok(f"{{ printf 'en'; printf 'abled\\n'; }} > users/{email}/state")
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')

    def test_the_start_of_a_bad_state_is_refused_at_its_write(self):
        email = self.new_user('ssplit')
        fd = self.open(f'users/{email}/state', TRUNC)
        self.write_all(fd, 'dis')
        self.assert_refused(lambda: os.write(fd, b'x'), errno.EINVAL, 'write of "disx"')
        os.close(fd)
        self.assertEqual(self.cat(f'users/{email}/state'), 'enabled\n')

    def test_quota_split_across_writes_and_without_newline_sets_it(self):
        email = self.new_user('qsplit')
        path = f'users/{email}/quota'
        self.write_pieces(path, ['10', '24\n'])
        self.assertEqual(self.cat(path), USER_QUOTA_1024)
        self.ok(f': > {path}')
        self.ok(f"printf '10' > {path}; printf 24 >> {path}")  # two opens: two sizes, the last stays
        self.assertEqual(self.cat(path), "version: '1'\nsize: '24'\ntype: 'user'\n")
        self.ok(f"{{ printf '10'; printf '24'; }} > {path}")  # one open: one size
        self.assertEqual(self.cat(path), USER_QUOTA_1024)
        self.assertEqual(self.cli('query-quotas', '-e', email).stdout, USER_QUOTA_1024)


if __name__ == '__main__':
    fuse_common.main()
