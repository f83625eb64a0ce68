/// Gym-chat texts with a realistic vocabulary for `fitchat-bench search`: about 3,000 words whose
/// frequencies follow Zipf's law (the n-th word 1/n as often as the first) — everyday English
/// first, gym words next, some accented words and numbers (`5x5`, `100kg`), and a long tail of
/// rarer made-up words — in messages of gym-chat lengths (mostly a short line, some a
/// paragraph, a few a long post).
struct SearchCorpus {
    /// Most common first.
    let words: [String]
    /// Cumulative Zipf weights of `words`, for sampling by binary search.
    private let cumulative: [Double]

    static let everyday = """
        the i to a and you it is that of in for on my this at be have so with just it's not but \
        are was do me we if all get what can up out no like your one go about will today now how \
        too time day good know then there when think got see back some really more from they here \
        going new did would us much still next week want after been any also tomorrow yes yeah \
        make need last first right who morning tonight thanks thank great nice well done work \
        better feel feeling felt long little lot before around again always never maybe sure \
        people anyone everyone someone coming come see take keep try trying help love hard easy \
        start started finish finished best bit kind pretty quite only other same way many few \
        friday saturday sunday monday tuesday wednesday thursday weekend night evening afternoon \
        hour hours minutes minute early late soon already almost though because since while \
        over under off down left right home car park gate door floor room front desk music loud
        """
    static let gym = """
        squat squats squatting deadlift deadlifts bench press presses row rows pull pullups \
        pushups lunges lunge curls curl plank planks sets set reps rep rest warm cool stretch \
        stretching mobility form depth bar barbell dumbbell dumbbells kettlebell plates plate \
        rack racks belt straps chalk grip legs leg arms arm back chest shoulders core abs glutes \
        hamstrings quads calves biceps triceps lats traps hips knees knee wrist elbow sore \
        soreness injury pain recovery deload program programme coach class classes session \
        sessions trainer training workout workouts cardio run running runs sprint sprints \
        rower rowing bike cycling spin swim swimming yoga pilates hiit circuit circuits \
        crossfit wod amrap emom tempo pause paused volume intensity heavy light weight weights \
        kg lbs pr prs max maxes personal record strong strength power hypertrophy gains bulk \
        cut cutting protein shake shakes creatine carbs fat calories diet meal meals prep \
        breakfast lunch dinner snack oats eggs chicken rice beans salad water hydration sleep \
        steps walk walking hike marathon 5k 10k race pace interval intervals treadmill \
        stairs box jumps jump burpees rope battle ropes sled push pulls hinge overhead front \
        goblet sumo conventional romanian bulgarian split incline decline flat close wide \
        narrow stance foot feet heels toes brace breathe breathing bracing lockout bottom top \
        hold holds hang hanging dead chinups dips band bands resistance cable machine smith \
        leg-press locker shower towel bottle membership locker-room spotter spot partner \
        partners buddy team league competition meet judges lift lifts lifter lifters
        """
    static let accentedAndNumbers = """
        café crème brûlée übung jalapeño naïve protéine entraînement fútbol açaí müsli \
        smoothie piña señor zürich garçon fiancé résumé déjà \
        5x5 3x10 4x8 5x3 3x5 10x10 100kg 60kg 80kg 120kg 140kg 20kg 2.5kg 6am 7am 6pm 7pm \
        2024 2025 1rm 3rm 90 100 120 60 45 30 15 12 10 8 5 3 2 1
        """

    init(size: Int = 3_000) {
        func list(_ text: String) -> [String] {
            text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
        var words = list(Self.everyday)
        // Gym words and the accented words and numbers interleaved: all middling frequencies.
        let gym = list(Self.gym)
        let special = list(Self.accentedAndNumbers)
        for index in 0..<max(gym.count, special.count) {
            if index < gym.count { words.append(gym[index]) }
            if index < special.count { words.append(special[index]) }
        }
        // The tail: pronounceable made-up words (names, brands, the typos of real chats).
        let syllables = [
            "ba", "ko", "ri", "ten", "mul", "sa", "pre", "dor", "vi", "lan", "ex", "tro", "gen", "pha", "qui", "zel",
            "mor", "tas", "fin", "lu", "wen", "ost", "cra", "bel",
        ]
        var seen = Set(words)
        var generator = SplitMix(seed: 16)
        while words.count < size {
            let parts = 2 + Int(generator.next() % 2)
            let word = (0..<parts).map { _ in syllables[Int(generator.next() % UInt64(syllables.count))] }.joined()
            if seen.insert(word).inserted { words.append(word) }
        }
        self.words = words
        var sum = 0.0
        cumulative = words.indices.map { rank in
            sum += 1 / Double(rank + 1)
            return sum
        }
    }

    /// One word, by Zipf frequency.
    func word(_ generator: inout SplitMix) -> String {
        let target = Double(generator.next() % 1_000_000_000) / 1e9 * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return words[low]
    }

    /// A message: 65 % a short line (2–10 words), 30 % a paragraph (10–40), 5 % a long post
    /// (40–150), with a capital first letter and some punctuation.
    func message(_ generator: inout SplitMix) -> String {
        let roll = generator.next() % 100
        let count =
            roll < 65
            ? 2 + Int(generator.next() % 9)
            : roll < 95 ? 10 + Int(generator.next() % 31) : 40 + Int(generator.next() % 111)
        var text = ""
        for index in 0..<count {
            var next = word(&generator)
            if index == 0 { next = next.prefix(1).uppercased() + next.dropFirst() }
            text += (index == 0 ? "" : generator.next() % 9 == 0 ? ", " : " ") + next
        }
        return text + ([".", "!", "?", "", " 💪"][Int(generator.next() % 5)])
    }
}
