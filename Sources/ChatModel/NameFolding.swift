// Foundation only for Unicode compatibility normalisation (NFKC), which the standard library
// does not expose; everything else here is plain Swift.
import Foundation

extension Names {
    /// The form two names are compared in: NFKC, then case-folded (upper- then lower-casing folds
    /// `ß`/`SS` together), then NFKC again. `ALICE`, `alice` and `ａｌｉｃｅ` fold to the same key.
    public static func folded(_ name: String) -> String {
        let compatible = name.precomposedStringWithCompatibilityMapping
        return compatible.uppercased().lowercased().precomposedStringWithCompatibilityMapping
    }

    /// Whether a display name would pass for another user's name: it may equal its own user's
    /// name (in any case), never someone else's.
    public static func displayNameImpersonates(_ displayName: String, ownName: String, isUserName: (String) -> Bool)
        -> Bool
    {
        let key = folded(displayName.trimmingCharacters(in: .whitespacesAndNewlines))
        return key != folded(ownName) && isUserName(key)
    }
}
