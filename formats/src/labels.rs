//! Words the compiler itself puts into books (Contents, Note, Exercise …), in the book's language.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Contents,
    Cover,
    Start,
    Note,
    Tip,
    Important,
    Warning,
    Caution,
    Exercise,
    Answer,
    Answers,
    AnswerToExercise,
    BackToExercise,
    Objectives,
    Glossary,
    Footnotes,
    BackToText,
    Previous,
    Next,
    SkipToContent,
    Chapters,
    Done,
    NotDone,
    ImageUnavailable,
    Landmarks,
    Figure,
}

/// English, Kyrgyz, Russian, Uzbek (Latin), Kazakh and Tajik; anything else falls back to English.
pub fn label(lang: &str, l: Label) -> &'static str {
    use Label::*;
    let primary = lang.split('-').next().unwrap_or("");
    let row: [&'static str; 6] = match l {
        Contents => ["Contents", "Мазмуну", "Содержание", "Mundarija", "Мазмұны", "Мундариҷа"],
        Cover => ["Cover", "Мукаба", "Обложка", "Muqova", "Мұқаба", "Муқова"],
        Start => ["Start reading", "Окуп баштоо", "Начать чтение", "O‘qishni boshlash", "Оқуды бастау", "Оғози хониш"],
        Note => ["Note", "Эскертүү", "Примечание", "Eslatma", "Ескерту", "Эзоҳ"],
        Tip => ["Tip", "Кеңеш", "Совет", "Maslahat", "Кеңес", "Маслиҳат"],
        Important => ["Important", "Маанилүү", "Важно", "Muhim", "Маңызды", "Муҳим"],
        Warning => ["Warning", "Көңүл буруңуз", "Внимание", "Diqqat", "Назар аударыңыз", "Диққат"],
        Caution => ["Caution", "Абайлаңыз", "Осторожно", "Ehtiyot bo‘ling", "Абай болыңыз", "Эҳтиёт шавед"],
        Exercise => ["Exercise", "Тапшырма", "Задание", "Topshiriq", "Тапсырма", "Супориш"],
        Answer => ["Answer", "Жооп", "Ответ", "Javob", "Жауап", "Ҷавоб"],
        Answers => ["Answers", "Жооптор", "Ответы", "Javoblar", "Жауаптар", "Ҷавобҳо"],
        AnswerToExercise => ["Answer", "Жообу", "Ответ", "Javobi", "Жауабы", "Ҷавоб"],
        BackToExercise => ["Back to the exercise", "Тапшырмага кайтуу", "Вернуться к заданию", "Topshiriqqa qaytish", "Тапсырмаға оралу", "Бозгашт ба супориш"],
        Objectives => ["In this chapter you will learn", "Бул бөлүмдө силер үйрөнөсүңөр", "В этой главе вы узнаете", "Bu bobda siz o‘rganasiz", "Бұл тарауда сіз үйренесіз", "Дар ин боб шумо меомӯзед"],
        Glossary => ["Glossary", "Сөздүк", "Словарь терминов", "Lug‘at", "Сөздік", "Луғат"],
        Footnotes => ["Notes", "Шилтемелер", "Примечания", "Izohlar", "Ескертпелер", "Эзоҳҳо"],
        BackToText => ["Back to text", "Текстке кайтуу", "Вернуться к тексту", "Matnga qaytish", "Мәтінге оралу", "Бозгашт ба матн"],
        Previous => ["Previous", "Мурунку", "Назад", "Oldingi", "Алдыңғы", "Қаблӣ"],
        Next => ["Next", "Кийинки", "Далее", "Keyingi", "Келесі", "Баъдӣ"],
        SkipToContent => ["Skip to content", "Мазмунга өтүү", "Перейти к содержанию", "Asosiy matnga o‘tish", "Мазмұнға өту", "Гузариш ба матн"],
        Chapters => ["Chapters", "Бөлүмдөр", "Главы", "Boblar", "Тараулар", "Бобҳо"],
        Done => ["done", "аткарылды", "выполнено", "bajarildi", "орындалды", "иҷро шуд"],
        NotDone => ["not done", "аткарыла элек", "не выполнено", "bajarilmagan", "орындалмады", "иҷро нашуд"],
        ImageUnavailable => ["Image not available offline", "Сүрөт оффлайн жеткиликсиз", "Изображение недоступно офлайн", "Rasm oflayn mavjud emas", "Сурет офлайн қолжетімсіз", "Тасвир офлайн дастнорас аст"],
        Landmarks => ["Landmarks", "Негизги бөлүктөр", "Ориентиры", "Asosiy qismlar", "Негізгі бөліктер", "Қисмҳои асосӣ"],
        Figure => ["Figure", "Сүрөт", "Рисунок", "Rasm", "Сурет", "Расм"],
    };
    let i = match primary {
        "ky" => 1,
        "ru" => 2,
        "uz" => 3,
        "kk" => 4,
        "tg" => 5,
        _ => 0,
    };
    row[i]
}
