import ChatModel
import ChatStore
import Configuration
import Foundation
import TestSupport
import Testing

@testable import Administration

/// `fitchat backup` never deletes what it did not write (an attack found a failed run deleting a
/// concurrent run's finished backup, and a whole directory someone had written into meanwhile).
@Suite struct BackupTargetTests {
    func settings() async throws -> Settings {
        var settings = Settings(layout: InstallLayout(isInstalled: false, executableDir: "/src/.build/debug"))
        settings.dataDir = temporaryDirectory()
        let store = try ChatStore.open(directory: settings.dataDir)
        _ = try await store.createUser(name: "ann", displayName: "Ann", role: .admin, passwordHash: "h")
        store.close()
        return settings
    }

    @Test func aBackupIsWholeAndNothingElseIsLeftInItsDirectory() async throws {
        let destination = temporaryDirectory() + "/a/b/backup"
        let file = try await StoreOperations.backup(settings: try settings(), to: destination)
        #expect(file == destination + "/data.mdb")
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["data.mdb"])
        let copy = try ChatStore.open(directory: destination, readOnly: true)
        defer { copy.close() }
        #expect(try copy.user(named: "ann") != nil)
        #expect(try copy.check() == [])
    }

    @Test func aDataFileThatAppearedMeanwhileIsKeptAndRefused() throws {
        let parent = temporaryDirectory()
        let destination = parent + "/new/backup"
        var target = try BackupTarget(directory: destination)
        let fd = try target.openTemporary()
        defer { close(fd) }
        #expect(write(fd, "copy", 4) == 4)
        // Another backup run finished into the same directory first.
        let theirs = Data("their finished backup".utf8)
        #expect(FileManager.default.createFile(atPath: destination + "/data.mdb", contents: theirs))
        #expect(throws: AdminError.backupDestinationNotEmpty(path: destination)) { try target.commit(fd: fd) }
        target.abandon()
        #expect(FileManager.default.contents(atPath: destination + "/data.mdb") == theirs)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["data.mdb"])
    }

    @Test func aFailedRunRemovesOnlyItsOwnFileAndTheEmptyDirectoriesItMade() throws {
        let parent = temporaryDirectory()
        var target = try BackupTarget(directory: parent + "/a/b/c")
        #expect(target.created == [parent + "/a", parent + "/a/b", parent + "/a/b/c"])
        let fd = try target.openTemporary()
        close(fd)
        // Someone writes a file into the middle directory while the copy runs.
        #expect(FileManager.default.createFile(atPath: parent + "/a/b/README.txt", contents: Data("mine".utf8)))
        target.abandon()
        #expect(!FileManager.default.fileExists(atPath: parent + "/a/b/c"))
        #expect(FileManager.default.contents(atPath: parent + "/a/b/README.txt") == Data("mine".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["a"])
    }

    @Test func whatCannotBeWrittenSaysWhereAndWhy() async throws {
        let parent = temporaryDirectory()
        let file = parent + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        await #expect(throws: AdminError.cannotWriteBackup(path: file + "/backup", reason: "Not a directory")) {
            try await StoreOperations.backup(settings: try settings(), to: file + "/backup")
        }
        let dangling = parent + "/dangling"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: parent + "/nowhere")
        await #expect(throws: AdminError.cannotWriteBackup(path: dangling, reason: "File exists")) {
            try await StoreOperations.backup(settings: try settings(), to: dangling)
        }
    }
}
