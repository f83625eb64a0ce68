"""Just enough of liblmdb (through ctypes) to damage a closed store on purpose: the tests of
`fitchat db check` delete one index entry behind fitchat's back, as a bug or a torn copy would."""
import ctypes
import ctypes.util

MDB_FIRST = 0
MDB_NOTFOUND = -30798


class MDBVal(ctypes.Structure):
    _fields_ = [("mv_size", ctypes.c_size_t), ("mv_data", ctypes.c_void_p)]


def _lib():
    name = ctypes.util.find_library("lmdb") or "liblmdb.so.0"
    lib = ctypes.CDLL(name)
    lib.mdb_strerror.restype = ctypes.c_char_p
    return lib


def _check(lib, rc, what):
    if rc != 0:
        raise OSError(f"{what}: {lib.mdb_strerror(rc).decode()} ({rc})")


def delete_first(data_dir, table):
    """Deletes the first entry of the named database `table`; returns its key bytes."""
    lib = _lib()
    env = ctypes.c_void_p()
    _check(lib, lib.mdb_env_create(ctypes.byref(env)), "mdb_env_create")
    try:
        _check(lib, lib.mdb_env_set_maxdbs(env, 32), "mdb_env_set_maxdbs")
        _check(lib, lib.mdb_env_open(env, data_dir.encode(), 0, 0o640), "mdb_env_open")
        txn = ctypes.c_void_p()
        _check(lib, lib.mdb_txn_begin(env, None, 0, ctypes.byref(txn)), "mdb_txn_begin")
        try:
            dbi = ctypes.c_uint()
            _check(lib, lib.mdb_dbi_open(txn, table.encode(), 0, ctypes.byref(dbi)), f"mdb_dbi_open {table}")
            cursor = ctypes.c_void_p()
            _check(lib, lib.mdb_cursor_open(txn, dbi, ctypes.byref(cursor)), "mdb_cursor_open")
            key, value = MDBVal(), MDBVal()
            _check(lib, lib.mdb_cursor_get(cursor, ctypes.byref(key), ctypes.byref(value), MDB_FIRST), f"first of {table}")
            removed = ctypes.string_at(key.mv_data, key.mv_size)
            _check(lib, lib.mdb_cursor_del(cursor, 0), "mdb_cursor_del")
            lib.mdb_cursor_close(cursor)
        except BaseException:
            lib.mdb_txn_abort(txn)
            raise
        _check(lib, lib.mdb_txn_commit(txn), "mdb_txn_commit")
        return removed
    finally:
        lib.mdb_env_close(env)


MDB_RDONLY = 0x20000
MDB_NEXT = 8


def entries(data_dir, table):
    """Every (key, value) of the named database `table` of a closed store, as bytes, read-only."""
    lib = _lib()
    env = ctypes.c_void_p()
    _check(lib, lib.mdb_env_create(ctypes.byref(env)), "mdb_env_create")
    try:
        _check(lib, lib.mdb_env_set_maxdbs(env, 32), "mdb_env_set_maxdbs")
        _check(lib, lib.mdb_env_open(env, data_dir.encode(), MDB_RDONLY, 0o640), "mdb_env_open")
        txn = ctypes.c_void_p()
        _check(lib, lib.mdb_txn_begin(env, None, MDB_RDONLY, ctypes.byref(txn)), "mdb_txn_begin")
        try:
            dbi = ctypes.c_uint()
            _check(lib, lib.mdb_dbi_open(txn, table.encode(), 0, ctypes.byref(dbi)), f"mdb_dbi_open {table}")
            cursor = ctypes.c_void_p()
            _check(lib, lib.mdb_cursor_open(txn, dbi, ctypes.byref(cursor)), "mdb_cursor_open")
            found, op = [], MDB_FIRST
            while True:
                key, value = MDBVal(), MDBVal()
                rc = lib.mdb_cursor_get(cursor, ctypes.byref(key), ctypes.byref(value), op)
                if rc == MDB_NOTFOUND:
                    break
                _check(lib, rc, f"cursor of {table}")
                found.append((ctypes.string_at(key.mv_data, key.mv_size), ctypes.string_at(value.mv_data, value.mv_size)))
                op = MDB_NEXT
            lib.mdb_cursor_close(cursor)
            return found
        finally:
            lib.mdb_txn_abort(txn)
    finally:
        lib.mdb_env_close(env)
